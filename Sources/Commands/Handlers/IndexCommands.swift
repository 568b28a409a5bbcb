// placeholder
enum IndexCommands {
    static let handlers: [CommandHandler] = []
}
