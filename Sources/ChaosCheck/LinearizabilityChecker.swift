/// Decides whether a concurrent history is linearizable against a `SequentialModel`, by the Wing–Gong search
/// with the memoization of Lowe and Porcupine: operations are tried in every order the real-time order allows,
/// backtracking on a mismatch, and a (linearized set, state) pair already explored is never explored again.
///
/// The search is exponential in the worst case, so it runs under a budget of model steps; when the budget runs
/// out the answer is `.unknown(.budgetExhausted)`, never a pass. Operations whose outcome is unknown return
/// at infinity: they may be linearized anywhere after their invocation, including after everything else,
/// which is how "did not happen" is expressed.
public struct LinearizabilityChecker<Model: SequentialModel>: Sendable {
    public var model: Model
    /// The most model steps one search may take.
    public var budget: Int

    public init(model: Model, budget: Int = 1_000_000) {
        self.model = model
        self.budget = budget
    }

    public typealias Operation = LinearizableOperation<Model.Input, Model.Output>

    /// Checks one history as a whole.
    public func check(_ operations: [Operation]) -> LinearizabilityResult {
        var search = Search(model: model, operations: operations, budget: budget)
        return search.run()
    }

    /// Checks a history of operations that each touch one partition (P-compositionality: a history is
    /// linearizable if and only if each partition's sub-history is, when the model's partitions are independent).
    /// Each partition has its own budget.
    public func check<Key: Hashable>(
        _ operations: [Operation], partitionedBy key: (Operation) -> Key
    ) -> [Key: LinearizabilityResult] {
        var partitions: [Key: [Operation]] = [:]
        for operation in operations { partitions[key(operation), default: []].append(operation) }
        return partitions.mapValues { check($0) }
    }
}

extension LinearizabilityChecker {
    /// The search state: the call and return events in a doubly linked list from which linearized operations
    /// are lifted, and a stack of choices to backtrack to.
    private struct Search {
        let model: Model
        let operations: [Operation]
        let budget: Int
        /// Node 0 is the head; node i (1...) is an event. `operationOf[node]` is its operation index,
        /// `isCall[node]` tells call from return, `returnOf[callNode]` is the matching return node.
        var next: [Int]
        var previous: [Int]
        var operationOf: [Int]
        var isCall: [Bool]
        var returnOf: [Int]

        struct CacheKey: Hashable {
            var linearized: [UInt64]
            var state: Model.State
        }

        struct Event {
            var time: UInt64
            var isCall: Bool
            var unknown: Bool
            var operation: Int
        }

        struct Frame {
            var callNode: Int
            var stateBefore: Model.State
            var choices: [Model.State]
            var nextChoice: Int
        }

        init(model: Model, operations: [Operation], budget: Int) {
            self.model = model
            self.operations = operations
            self.budget = budget
            var events: [Event] = []
            for (index, operation) in operations.enumerated() {
                events.append(Event(time: operation.invoke, isCall: true, unknown: false, operation: index))
                events.append(
                    Event(
                        time: operation.complete ?? .max, isCall: false, unknown: operation.complete == nil,
                        operation: index))
            }
            // At equal times a call sorts before a return, so that touching operations count as concurrent:
            // the history alone cannot say which came first.
            events.sort { a, b in
                if a.unknown != b.unknown { return !a.unknown }
                if a.time != b.time { return a.time < b.time }
                if a.isCall != b.isCall { return a.isCall }
                return a.operation < b.operation
            }
            let count = events.count + 1
            next = Array(repeating: -1, count: count)
            previous = Array(repeating: -1, count: count)
            operationOf = Array(repeating: -1, count: count)
            isCall = Array(repeating: false, count: count)
            returnOf = Array(repeating: -1, count: count)
            var callNodeOf: [Int] = Array(repeating: -1, count: operations.count)
            for (offset, event) in events.enumerated() {
                let node = offset + 1
                previous[node] = node - 1
                next[node - 1] = node
                operationOf[node] = event.operation
                isCall[node] = event.isCall
                if event.isCall {
                    callNodeOf[event.operation] = node
                } else {
                    returnOf[callNodeOf[event.operation]] = node
                }
            }
        }

        private mutating func lift(_ callNode: Int) {
            let returnNode = returnOf[callNode]
            next[previous[callNode]] = next[callNode]
            if next[callNode] >= 0 { previous[next[callNode]] = previous[callNode] }
            next[previous[returnNode]] = next[returnNode]
            if next[returnNode] >= 0 { previous[next[returnNode]] = previous[returnNode] }
        }

        private mutating func unlift(_ callNode: Int) {
            let returnNode = returnOf[callNode]
            next[previous[returnNode]] = returnNode
            if next[returnNode] >= 0 { previous[next[returnNode]] = returnNode }
            next[previous[callNode]] = callNode
            if next[callNode] >= 0 { previous[next[callNode]] = callNode }
        }

        mutating func run() -> LinearizabilityResult {
            let words = (operations.count + 63) / 64
            var linearized = [UInt64](repeating: 0, count: words)
            var cache: Set<CacheKey> = []
            var stack: [Frame] = []
            var state = model.initialState
            var steps = 0
            // The deepest linearization reached, snapshotted only when the search first backtracks from it, so
            // that a search that never backtracks pays nothing for failure reporting.
            var deepest = 0
            var longest: [Int] = []
            var stuckOperation: Int?
            // The lowest the stack has been since the last snapshot: below it, the snapshot is still the stack,
            // so refreshing it costs only what changed.
            var lowWater = 0
            var entry = next[0]

            // Takes the first choice from `from` that leads somewhere new; returns false when none does.
            func advance(
                _ callNode: Int, from state: inout Model.State, choices: [Model.State], startingAt first: Int,
                linearized: inout [UInt64], stack: inout [Frame], cache: inout Set<CacheKey>
            ) -> Bool {
                guard first < choices.count else { return false }
                let operation = operationOf[callNode]
                var marked = linearized
                marked[operation / 64] |= 1 << UInt64(operation % 64)
                var index = first
                while index < choices.count {
                    if cache.insert(CacheKey(linearized: marked, state: choices[index])).inserted {
                        stack.append(
                            Frame(callNode: callNode, stateBefore: state, choices: choices, nextChoice: index + 1))
                        state = choices[index]
                        linearized = marked
                        return true
                    }
                    index += 1
                }
                return false
            }

            while next[0] >= 0 {
                // Every call is followed by its return, so the walk never runs off the end of the list.
                precondition(entry >= 0, "linearizability search walked past the last event")
                if isCall[entry] {
                    steps += 1
                    if steps > budget { return .unknown(.budgetExhausted(steps: budget)) }
                    let operation = operations[operationOf[entry]]
                    let choices = model.step(state, input: operation.input, output: operation.output)
                    if advance(
                        entry, from: &state, choices: choices, startingAt: 0, linearized: &linearized,
                        stack: &stack, cache: &cache)
                    {
                        lift(entry)
                        deepest = max(deepest, stack.count)
                        entry = next[0]
                    } else {
                        entry = next[entry]
                    }
                } else {
                    if stack.count == deepest, longest.count < deepest {
                        let keep = min(lowWater, longest.count)
                        longest.removeSubrange(keep...)
                        longest.append(contentsOf: stack[keep...].map { operations[operationOf[$0.callNode]].id })
                        lowWater = stack.count
                        stuckOperation = operations[operationOf[entry]].id
                    }
                    // A pending operation returned before it could be linearized: undo the last choice.
                    guard let frame = stack.popLast() else {
                        return .notLinearizable(
                            LinearizabilityFailure(
                                operationID: stuckOperation ?? operations[operationOf[entry]].id,
                                linearizedPrefix: longest))
                    }
                    lowWater = min(lowWater, stack.count)
                    let operation = operationOf[frame.callNode]
                    linearized[operation / 64] &= ~(1 << UInt64(operation % 64))
                    unlift(frame.callNode)
                    state = frame.stateBefore
                    if advance(
                        frame.callNode, from: &state, choices: frame.choices, startingAt: frame.nextChoice,
                        linearized: &linearized, stack: &stack, cache: &cache)
                    {
                        lift(frame.callNode)
                        entry = next[0]
                    } else {
                        entry = next[frame.callNode]
                    }
                }
            }
            return .linearizable
        }
    }
}
