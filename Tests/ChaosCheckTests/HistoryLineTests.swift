import ChaosCheck
import Testing

@Suite struct HistoryLineTests {
    @Test func operationLineRoundTrips() throws {
        let record = HistoryRecord(
            id: 1, client: 2, endpoint: "127.0.0.1:2379", invokeNanos: 10, completeNanos: 20,
            operation: .put(key: "k", value: "v", leaseID: nil),
            outcome: .ok(HistoryResponse(revision: 5)))
        let line = try HistoryLine.operation(record).jsonLine()
        #expect(try HistoryLine.decodeFile(line + "\n") == [.operation(record)])
    }

    @Test func badLineNamesItsNumber() {
        #expect(throws: HistoryFileError.self) { try HistoryLine.decodeFile("\n{}\n") }
    }
}
