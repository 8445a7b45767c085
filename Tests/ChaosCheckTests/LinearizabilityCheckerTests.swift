import ChaosCheck
import Testing

/// A register holding one integer: writes answer nothing, reads answer the value.
struct Register: SequentialModel {
    enum Input: Hashable {
        case write(Int)
        case read
    }
    var initialState: Int { 0 }

    func step(_ state: Int, input: Input, output: Int?) -> [Int] {
        switch input {
        case .write(let value): return [value]
        case .read: return output == nil || output == state ? [state] : []
        }
    }
}

func registerOp(_ id: Int, _ input: Register.Input, _ output: Int?, _ invoke: UInt64, _ complete: UInt64?)
    -> LinearizableOperation<Register.Input, Int>
{
    LinearizableOperation(id: id, input: input, output: output, invoke: invoke, complete: complete)
}

@Suite struct LinearizabilityCheckerTests {
    let checker = LinearizabilityChecker(model: Register())

    @Test func overlappingWriteMayBeSeenEitherWay() {
        // The write overlaps both reads, so one read seeing 0 and the later one seeing 1 is fine.
        let history = [
            registerOp(1, .write(1), 0, 0, 100),
            registerOp(2, .read, 0, 10, 20),
            registerOp(3, .read, 1, 30, 40),
        ]
        #expect(checker.check(history) == .linearizable)
    }

    @Test func readAfterCompletedWriteMustSeeIt() {
        let history = [
            registerOp(1, .write(1), 0, 0, 10),
            registerOp(2, .read, 0, 20, 30),
        ]
        guard case .notLinearizable(let failure) = checker.check(history) else {
            Issue.record("expected a violation")
            return
        }
        #expect(failure.operationID == 2)
    }

    @Test func readsCannotGoBackInTime() {
        let history = [
            registerOp(1, .write(1), 0, 0, 100),
            registerOp(2, .read, 1, 10, 20),
            registerOp(3, .read, 0, 30, 40),
        ]
        #expect(checker.check(history) != .linearizable)
    }

    @Test func unknownWriteMayOrMayNotHaveHappened() {
        let happened = [registerOp(1, .write(1), nil, 0, nil), registerOp(2, .read, 1, 50, 60)]
        let notHappened = [registerOp(1, .write(1), nil, 0, nil), registerOp(2, .read, 0, 50, 60)]
        #expect(checker.check(happened) == .linearizable)
        #expect(checker.check(notHappened) == .linearizable)
        // Once seen it cannot be unseen.
        let flapping = happened + [registerOp(3, .read, 0, 70, 80)]
        #expect(checker.check(flapping) != .linearizable)
    }

    @Test func budgetExhaustionIsUnknownNotPass() {
        var history: [LinearizableOperation<Register.Input, Int>] = []
        for id in 0..<14 { history.append(registerOp(id, .write(id), nil, UInt64(id), nil)) }
        history.append(registerOp(99, .read, 1234, 100, 200))
        let small = LinearizabilityChecker(model: Register(), budget: 50)
        #expect(small.check(history) == .unknown(.budgetExhausted(steps: 50)))
    }

    @Test func partitionsAreCheckedIndependently() {
        let history = [
            registerOp(1, .write(1), 0, 0, 10), registerOp(2, .read, 1, 20, 30),
            registerOp(3, .write(5), 0, 0, 10), registerOp(4, .read, 0, 20, 30),
        ]
        let results = checker.check(history) { $0.id <= 2 ? "a" : "b" }
        #expect(results["a"] == .linearizable)
        #expect(results["b"] != .linearizable)
    }
}
