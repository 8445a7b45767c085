import ArgumentParser
import EtcdAPI

/// `alarm list|disarm`: the alarms raised by members (out of space, corruption).
struct AlarmCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alarm", abstract: "Alarm related commands.", subcommands: [List.self, Disarm.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "Lists all alarms.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let context = try global.context()
            let response = try await context.request { client, options in
                try await Etcdserverpb_Maintenance.Client(wrapping: client).alarm(.init(), options: options)
            }
            try context.print { $0.alarms(response, into: &$1) }
        }
    }

    struct Disarm: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "disarm", abstract: "Disarms all alarms.")
        @OptionGroup var global: GlobalOptions

        /// Lists the alarms, then deactivates each one; the answer lists those deactivated, without a header.
        func run() async throws {
            let context = try global.context()
            let response = try await context.request { client, options in
                let maintenance = Etcdserverpb_Maintenance.Client(wrapping: client)
                var disarmed = Etcdserverpb_AlarmResponse()
                for alarm in try await maintenance.alarm(.init(), options: options).alarms {
                    var request = Etcdserverpb_AlarmRequest()
                    (request.action, request.memberID, request.alarm) = (.deactivate, alarm.memberID, alarm.alarm)
                    disarmed.alarms += try await maintenance.alarm(request, options: options).alarms
                }
                return disarmed
            }
            try context.print { $0.alarms(response, into: &$1) }
        }
    }
}
