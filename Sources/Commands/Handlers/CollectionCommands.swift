// placeholder
enum CollectionCommands {
    static let handlers: [CommandHandler] = []
}
