// placeholder
enum WriteCommands {
    static let handlers: [CommandHandler] = []
}
