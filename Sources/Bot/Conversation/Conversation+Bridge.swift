import Foundation
import Shop

/// The REST and WebSocket bridges run command lines through the same conversation as the chat.
extension Conversation: CommandLineRunner {
    /// Answers in the caller's own Telegram language when the shop knows it (as the chat
    /// would), else in the language the client asked for.
    public func run(command: String, args: String, principal: Principal, languageCode: String?, idempotencyKey: String?) async -> CommandLineAnswer {
        let stored = (try? shop.me(as: principal))?.user?.language
        let request = ChatRequest(command: command.lowercased(), args: args, principal: principal,
                                  language: Language(code: stored ?? languageCode), idempotencyKey: idempotencyKey)
        let reply = await run(request)
        return CommandLineAnswer(text: reply.text, plainText: reply.plainText, data: (try? reply.data.json()) ?? Data("{}".utf8), failure: reply.failure)
    }
}
