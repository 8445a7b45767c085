/// The sequential specification of an object, for `LinearizabilityChecker`: a start state and a transition
/// function. A model may be nondeterministic (several next states), which is how it expresses things the
/// history cannot see, such as a lease expiring at an unknown time.
public protocol SequentialModel: Sendable {
    /// A state of the object; the search memoizes on it, so two equal states must behave alike.
    associatedtype State: Hashable
    associatedtype Input
    associatedtype Output

    var initialState: State { get }

    /// The states the object can be in after it applied `input` in `state` and answered `output`; empty when
    /// it could not have answered so. A nil `output` is an operation whose outcome is unknown: it matches any
    /// answer, so the result lists every state the operation could have led to.
    func step(_ state: State, input: Input, output: Output?) -> [State]
}
