import ArgumentParser

/// Which endpoints a workload's connections go to.
enum EndpointTarget: String, Sendable, ExpressibleByArgument {
    case all
    case leader
}
