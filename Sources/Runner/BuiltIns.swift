import Heads
import Tasks

/// The heads and task kinds BertKit ships. An executable calls this, registers any heads of its
/// own (HeadRegistry.register, TaskKindRegistry.register), then runs `BertKitCommand.main()`.
public enum BuiltIns {
    public static func register() {
        BuiltInHeads.register()
        TaskKindRegistry.registerBuiltIns()
    }
}
