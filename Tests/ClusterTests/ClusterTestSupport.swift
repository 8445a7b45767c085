import Foundation
import Logging
import StoreClient

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// Polls `condition` until it holds or `limit` passes; an error counts as "not yet".
func eventually(within limit: Duration = .seconds(10), _ condition: () async throws -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + limit
    while true {
        if (try? await condition()) == true { return true }
        if ContinuousClock.now >= deadline { return false }
        try? await Task.sleep(for: .milliseconds(100))
    }
}

/// Puts `key` = `value` through `client`, trying again after each failure (a member down, an election in
/// progress) until it is acknowledged or `deadline` passes. Whether it was acknowledged.
///
/// Repeating a put whose outcome was unknown is harmless here: each key is written with one value only.
func putUntilAcknowledged(
    _ client: StoreClient, _ key: String, _ value: String, deadline: ContinuousClock.Instant
) async -> Bool {
    while ContinuousClock.now < deadline {
        do {
            try await client.put(bytes(key), bytes(value))
            return true
        } catch {
            try? await Task.sleep(for: .milliseconds(50))
        }
    }
    return false
}

/// A member as `etcdctl member list -w json` shows it.
struct ListedMember: Hashable {
    var name: String
    var peerURLs: [String]
    var clientURLs: [String]

    static func parse(memberListJSON text: String) throws -> Set<ListedMember> {
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        let members = object?["members"] as? [[String: Any]] ?? []
        return Set(
            members.map { member in
                ListedMember(
                    name: member["name"] as? String ?? "",
                    peerURLs: member["peerURLs"] as? [String] ?? [],
                    clientURLs: member["clientURLs"] as? [String] ?? [])
            })
    }
}

/// Short timeouts, so that a stopped or paused member costs a test little time.
var clusterClientConfiguration: StoreClient.Configuration {
    var configuration = StoreClient.Configuration()
    configuration.dialTimeout = .seconds(1)
    configuration.requestTimeout = .seconds(3)
    configuration.reconnectBackoff = (.milliseconds(50), .milliseconds(500))
    configuration.keepalive = nil
    return configuration
}

/// Runs `body` with a client of `endpoints`, closed afterwards within a bounded time.
///
/// `withStoreClient` waits for every connection to shut down gracefully, which a connection to a paused
/// (SIGSTOP) member never does; here the connections are cancelled when they have not closed within 1 s.
func withClusterClient<Result: Sendable>(
    endpoints: [String], _ body: (StoreClient) async throws -> Result
) async throws -> Result {
    var logger = Logger(label: "keel.cluster-test")
    logger.logLevel = .critical
    let client = try StoreClient(endpoints: endpoints, configuration: clusterClientConfiguration, logger: logger)
    let connections = Task { try await client.run() }
    func finish() async {
        client.close()
        let watchdog = Task {
            try? await Task.sleep(for: .seconds(1))
            connections.cancel()
        }
        _ = try? await connections.value
        watchdog.cancel()
    }
    do {
        let result = try await body(client)
        await finish()
        return result
    } catch {
        await finish()
        throw error
    }
}
