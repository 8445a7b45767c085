import Testing

@testable import StoreClient

@Suite("Which endpoint a request goes to first")
struct LeaderPreferenceTests {
    private func pool() throws -> EndpointPool {
        try StoreClient(endpoints: ["10.0.0.1:2379", "10.0.0.2:2379", "10.0.0.3:2379"]).pool
    }

    @Test("writes go to the leader once a follower named it and the leader's endpoint reported its ID")
    func writesPreferTheLeader() throws {
        let pool = try pool()
        #expect(pool.order(for: .write) == [0, 1, 2])
        // The follower on endpoint 0 names member 30 before endpoint 2 has said that it is member 30.
        pool.record(memberID: 10, leaderID: 30, at: 0)
        #expect(pool.leader == nil)
        pool.record(memberID: 30, leaderID: 30, at: 2)
        #expect(pool.order(for: .write) == [2, 0, 1])
        #expect(pool.order(for: .read) == [0, 1, 2])
    }

    @Test("a failed leader is forgotten; reads move on from a failed endpoint and stay where it worked")
    func failures() throws {
        let pool = try pool()
        pool.record(memberID: 20, leaderID: 20, at: 1)
        #expect(pool.leader == 1)
        pool.failed(1)
        #expect(pool.leader == nil)
        pool.failed(0)
        #expect(pool.order(for: .read) == [1, 2, 0])
        pool.succeeded(2)
        #expect(pool.order(for: .read) == [2, 0, 1])
        #expect(pool.order(for: .write) == [2, 0, 1])
    }

    @Test("a leader search happens at most once a second, and never with one endpoint")
    func searchRateLimit() throws {
        let pool = try pool()
        #expect(pool.shouldSearchForLeader(every: .seconds(1)))
        #expect(!pool.shouldSearchForLeader(every: .seconds(1)))
        #expect(!(try StoreClient(endpoints: ["10.0.0.1:2379"]).pool.shouldSearchForLeader(every: .seconds(1))))
    }

    @Test(
        "endpoints parse as etcd's clients write them",
        arguments: [
            ("127.0.0.1:2379", "127.0.0.1:2379"), ("http://localhost:2379/", "localhost:2379"),
            ("[::1]:2379", "[::1]:2379"),
        ])
    func endpoints(text: String, expected: String) throws {
        #expect(try Endpoint(parsing: text).description == expected)
    }

    @Test("prefix ends follow etcd's rule")
    func prefixEnd() {
        #expect(KeyRange.prefix([0x61, 0x62]).bounds.rangeEnd == [0x61, 0x63])
        #expect(KeyRange.prefix([0x61, 0xff]).bounds.rangeEnd == [0x62])
        #expect(KeyRange.prefix([0xff, 0xff]).bounds.rangeEnd == [0])
        #expect(KeyRange.all.bounds == ([0], [0]))
    }
}
