// placeholder
enum QueryCommands {
    static let handlers: [CommandHandler] = []
}
