import ArgumentParser
import Foundation
import Logging
import Metrics
import Prometheus
import Store
import StoreServer

/// `keel store`: runs one store member. Flags carry etcd's names and meanings.
struct StoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Run one store member, serving the etcd v3 API.",
        discussion: "With no flags it starts a single member on etcd's defaults: clients on 127.0.0.1:2379, "
            + "peers on 127.0.0.1:2380, metrics and health on 127.0.0.1:2381, data in ./default.etcd. "
            + "--initial-cluster names every member of a new cluster; `keel up` starts a local one."
    )

    @Option(help: "Human-readable name for this member.")
    var name = "default"

    @Option(help: "Path to the data directory (default: <name>.etcd).")
    var dataDir: String?

    @Option(help: "Comma-separated URLs to listen on for client traffic.")
    var listenClientUrls = "http://localhost:2379"

    @Option(help: "Comma-separated client URLs advertised to the cluster.")
    var advertiseClientUrls = "http://localhost:2379"

    @Option(help: "Comma-separated URLs to listen on for peer traffic.")
    var listenPeerUrls = "http://localhost:2380"

    @Option(help: "Comma-separated peer URLs advertised to the cluster.")
    var initialAdvertisePeerUrls = "http://localhost:2380"

    @Option(
        help: ArgumentHelp(
            "Initial cluster configuration for bootstrapping: name=peerURL pairs, a name repeated per URL.",
            discussion: "Default: <name>=<each --initial-advertise-peer-urls URL>."))
    var initialCluster: String?

    @Option(help: "Initial cluster state: new or existing.")
    var initialClusterState = "new"

    @Option(help: "Initial cluster token, mixed into the cluster and member ids.")
    var initialClusterToken = "etcd-cluster"

    @Option(help: "Backend size quota in bytes; past it the NOSPACE alarm is raised.")
    var quotaBackendBytes: Int64 = 2 * 1024 * 1024 * 1024

    @Option(help: "Maximum client request size in bytes.")
    var maxRequestBytes: Int = 1536 * 1024

    @Option(help: "Maximum number of operations in one txn branch.")
    var maxTxnOps: Int = 128

    @Option(help: "Comma-separated URLs serving /metrics and /health.")
    var listenMetricsUrls = "http://localhost:2381"

    @Option(help: "Auto-compaction mode: periodic or revision.")
    var autoCompactionMode = "periodic"

    @Option(help: "Auto-compaction retention: hours or a duration (periodic), or a revision count; 0 disables it.")
    var autoCompactionRetention = "0"

    @Option(help: "Time (ms) of a heartbeat interval.")
    var heartbeatInterval: Int = 100

    @Option(help: "Time (ms) of an election timeout; at least 5 heartbeat intervals, at most 50000.")
    var electionTimeout: Int = 1000

    @Option(help: "Number of committed transactions that trigger a snapshot and drop the Raft log behind it.")
    var snapshotCount: Int = 100_000

    @Option(help: "Raft log entries kept behind a snapshot, so that a follower a little behind catches up from them.")
    var experimentalSnapshotCatchupEntries: Int = 5_000

    @Option(help: "Interval of progress notifications to idle watchers that asked for them (e.g. 10m, 5s).")
    var experimentalWatchProgressNotifyInterval = "10m"

    @Flag(
        help: ArgumentHelp(
            "Check that this member's data agrees with its peers' (HashKV) before serving clients; "
                + "refuse to start if not."))
    var experimentalInitialCorruptCheck = false

    @Option(help: "Interval of the leader's periodic corruption check (e.g. 1m, 30s); 0 disables it.")
    var experimentalCorruptCheckTime = "0s"

    @Option(
        help: "Longest time applied entries wait before the backend transaction holding them commits (e.g. 10ms); 0 means the default, 10ms.")
    var backendBatchInterval = "0"

    @Option(help: "Most entries one backend transaction holds before it commits; 0 means the default, 10000.")
    var backendBatchLimit = 0

    @Flag(help: "Skip fsync on commit: faster, but a power loss can lose acknowledged writes.")
    var unsafeNoFsync = false

    @Flag(help: .hidden)
    var exitWithParent = false

    /// A deliberate defect (`DebugFault`), repeatable; debug builds only.
    @Option(help: .hidden)
    var debugFault: [String] = []

    @Option(help: "Log level: debug, info, warn or error.")
    var logLevel = "info"

    func run() async throws {
        if exitWithParent { ParentWatch.start() }
        var logger = Logger(label: "keel.store")
        logger.logLevel = try parseLogLevel(logLevel)
        let level = logger.logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        logger = Logger(label: "keel.store")
        logger.logLevel = level
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))

        let cluster = try validatedInitialCluster()
        var configuration = StoreServer.Configuration()
        configuration.store.name = name
        configuration.store.dataDirectory = dataDir ?? "\(name).etcd"
        configuration.store.clientURLs = advertiseClientUrls.split(separator: ",").map(String.init)
        configuration.store.peerURLs = advertisedPeerURLs
        configuration.store.initialCluster = cluster.members.map { .init(name: $0.name, peerURLs: $0.peerURLs) }
        configuration.store.initialClusterState = initialClusterState == "existing" ? .existing : .new
        configuration.store.listenPeerURLs = listenPeerURLs
        configuration.store.heartbeatInterval = .milliseconds(heartbeatInterval)
        configuration.store.electionTimeout = .milliseconds(electionTimeout)
        configuration.store.snapshotCount = snapshotCount
        configuration.store.snapshotCatchUpEntries = experimentalSnapshotCatchupEntries
        configuration.store.initialClusterToken = initialClusterToken
        configuration.store.quotaBackendBytes = quotaBackendBytes
        configuration.store.maxRequestBytes = maxRequestBytes
        configuration.store.maxTxnOps = maxTxnOps
        configuration.store.syncOnCommit = !unsafeNoFsync
        if let interval = try batchInterval() { configuration.store.backendBatchInterval = interval }
        if backendBatchLimit > 0 { configuration.store.backendBatchLimit = backendBatchLimit }
        configuration.store.debugFaults = try parsedDebugFaults()
        // etcd's shortest lease: one and a half election timeouts, rounded up to whole seconds.
        configuration.store.minimumLeaseTTL = Int64((Double(electionTimeout) * 1.5 / 1000).rounded(.up))
        configuration.listenClientAddresses = try ListenAddress.list(listenClientUrls)
        configuration.listenMetricsAddresses = listenMetricsUrls.isEmpty ? [] : try ListenAddress.list(listenMetricsUrls)
        configuration.autoCompaction = try parseAutoCompaction(mode: autoCompactionMode, retention: autoCompactionRetention)
        configuration.watchProgressInterval = try parseDuration(experimentalWatchProgressNotifyInterval)
        configuration.initialCorruptCheck = experimentalInitialCorruptCheck
        let corruptCheck = try corruptCheckInterval()
        configuration.corruptCheckInterval = corruptCheck == .zero ? nil : corruptCheck

        let server = try StoreServer(configuration: configuration, registry: registry, logger: logger)
        try await runUntilSignalled { try await server.run() }
        logger.info("member stopped")
    }

    func validate() throws {
        _ = try validatedInitialCluster()
        _ = try corruptCheckInterval()
        _ = try batchInterval()
        guard backendBatchLimit >= 0 else {
            throw ValidationError("--backend-batch-limit must be 0 or more (set to \(backendBatchLimit))")
        }
    }

    /// `--backend-batch-interval` as a Go duration; nil for etcd's 0, the default.
    private func batchInterval() throws -> Duration? {
        if backendBatchInterval == "0" { return nil }
        let interval: Duration
        do {
            interval = try parseDuration(backendBatchInterval)
        } catch {
            throw ValidationError(
                "invalid value \"\(backendBatchInterval)\" for flag -backend-batch-interval: \(error)")
        }
        return interval == .zero ? nil : interval
    }

    /// `--experimental-corrupt-check-time` as etcd reads it: a Go duration (a bare 0 means off).
    private func corruptCheckInterval() throws -> Duration {
        if experimentalCorruptCheckTime == "0" { return .zero }
        do {
            return try parseDuration(experimentalCorruptCheckTime)
        } catch {
            throw ValidationError(
                "invalid value \"\(experimentalCorruptCheckTime)\" for flag -experimental-corrupt-check-time: \(error)")
        }
    }

    private var advertisedPeerURLs: [String] {
        initialAdvertisePeerUrls.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    }

    private var listenPeerURLs: [String] {
        listenPeerUrls.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// Checks the cluster and timing flags as etcd does before it bootstraps, and returns the initial cluster
    /// (etcd's default when the flag is absent: this member alone at the peer URLs it advertises).
    private func parsedDebugFaults() throws -> Set<DebugFault> {
        #if DEBUG
            return Set(
                try debugFault.map { name in
                    guard let fault = DebugFault(rawValue: name) else {
                        let known = DebugFault.allCases.map(\.rawValue).joined(separator: ", ")
                        throw ValidationError("--debug-fault must be one of \(known), not \(name)")
                    }
                    return fault
                })
        #else
            if !debugFault.isEmpty { throw ValidationError("--debug-fault exists only in debug builds") }
            return []
        #endif
    }

    private func validatedInitialCluster() throws -> InitialClusterFlag {
        guard initialClusterState == "new" || initialClusterState == "existing" else {
            throw ValidationError("--initial-cluster-state must be new or existing, not \(initialClusterState)")
        }
        guard heartbeatInterval > 0 else {
            throw ValidationError("--heartbeat-interval must be >0 (set to \(heartbeatInterval)ms)")
        }
        guard electionTimeout > 0 else {
            throw ValidationError("--election-timeout must be >0 (set to \(electionTimeout)ms)")
        }
        guard 5 * heartbeatInterval <= electionTimeout else {
            throw ValidationError(
                "--election-timeout[\(electionTimeout)ms] should be at least as 5 times as "
                    + "--heartbeat-interval[\(heartbeatInterval)ms]")
        }
        guard electionTimeout <= Self.maxElectionTimeout else {
            throw ValidationError(
                "--election-timeout[\(electionTimeout)ms] is too long, and should be set less than "
                    + "\(Self.maxElectionTimeout)ms")
        }
        guard snapshotCount > 0 else {
            throw ValidationError("--snapshot-count must be >0 (set to \(snapshotCount))")
        }
        guard experimentalSnapshotCatchupEntries > 0 else {
            throw ValidationError(
                "--experimental-snapshot-catchup-entries must be >0 (set to \(experimentalSnapshotCatchupEntries))")
        }
        do {
            _ = try ListenAddress.list(listenPeerUrls)
        } catch {
            throw ValidationError("--listen-peer-urls: \(error)")
        }
        let advertised = advertisedPeerURLs
        guard !advertised.isEmpty else { throw ValidationError("--initial-advertise-peer-urls is empty") }
        for url in advertised { try InitialClusterFlag.checkPeerURL(url, flag: "--initial-advertise-peer-urls") }
        let cluster =
            try initialCluster.map(InitialClusterFlag.init(parsing:))
            ?? .single(name: name, peerURLs: advertised)
        try cluster.validate(
            localName: name, advertisedPeerURLs: advertised, joiningExisting: initialClusterState == "existing")
        return cluster
    }

    /// etcd's ceiling on the election timeout.
    private static let maxElectionTimeout = 50_000
}

func parseLogLevel(_ text: String) throws -> Logger.Level {
    switch text.lowercased() {
    case "debug": return .debug
    case "info": return .info
    case "warn", "warning": return .warning
    case "error": return .error
    default: throw ValidationError("unknown log level \(text)")
    }
}

/// Parses Go-style durations as etcd's flags take them: 500ms, 5s, 10m, 1h, 1h30m.
func parseDuration(_ text: String) throws -> Duration {
    var total = Duration.zero
    var number = ""
    var index = text.startIndex
    guard !text.isEmpty else { throw ValidationError("empty duration") }
    while index < text.endIndex {
        let character = text[index]
        if character.isNumber || character == "." {
            number.append(character)
            index = text.index(after: index)
            continue
        }
        var unit = ""
        while index < text.endIndex, !text[index].isNumber { unit.append(text[index]); index = text.index(after: index) }
        guard let value = Double(number) else { throw ValidationError("invalid duration \(text)") }
        switch unit {
        case "ms": total += .milliseconds(value)
        case "s": total += .milliseconds(value * 1000)
        case "m": total += .milliseconds(value * 60_000)
        case "h": total += .milliseconds(value * 3_600_000)
        default: throw ValidationError("invalid duration unit \(unit) in \(text)")
        }
        number = ""
    }
    if !number.isEmpty { throw ValidationError("duration \(text) needs a unit") }
    return total
}

func parseAutoCompaction(mode: String, retention: String) throws -> AutoCompactionPolicy? {
    switch mode {
    case "revision":
        guard let count = Int64(retention), count >= 0 else {
            throw ValidationError("--auto-compaction-retention must be a revision count in revision mode")
        }
        return count == 0 ? nil : .revision(count)
    case "periodic":
        if let hours = Double(retention) {
            return hours == 0 ? nil : .periodic(.milliseconds(hours * 3_600_000))
        }
        let period = try parseDuration(retention)
        return period == .zero ? nil : .periodic(period)
    default:
        throw ValidationError("--auto-compaction-mode must be periodic or revision, not \(mode)")
    }
}
