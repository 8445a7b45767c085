import Logging
import StoreClient

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

/// Short timeouts, so that failover shows within a test's patience.
var testConfiguration: StoreClient.Configuration {
    var configuration = StoreClient.Configuration()
    configuration.dialTimeout = .seconds(1)
    configuration.requestTimeout = .seconds(5)
    configuration.reconnectBackoff = (.milliseconds(50), .milliseconds(500))
    return configuration
}

var testLogger: Logger {
    var logger = Logger(label: "keel.client-test")
    logger.logLevel = .warning
    return logger
}

func withTestClient<Result: Sendable>(
    _ endpoints: [String], _ body: (StoreClient) async throws -> Result
) async throws -> Result {
    try await withStoreClient(endpoints: endpoints, configuration: testConfiguration, logger: testLogger, body)
}
