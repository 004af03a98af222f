import Bot
import FuzzSupport
import Shop

// What people type to the bot: command lines ("/buy 3 coxinha ana", "/pagar u3 12,50") split by
// `ChatRequest(line:)` and run by the conversation against a real shop, and any other text as
// the answer to a dialogue in progress, exactly as the chat handler hands them over.
//
// Byte 0 picks who writes (owner, admin or customer) and the language; the rest is up to four
// messages separated by NUL bytes, sent in order (so a command can start a dialogue and the
// next message answer it). No dialogue is open when an input starts.

/// What every input shares. (Statics, not globals: libFuzzer's `main` replaces this file's
/// top-level code, which therefore never runs; statics are set up on first use.)
enum Fixture {
    static let shop: FuzzShop = {
        let shop = waitFor { try! await FuzzShop.make() }
        shop.removeAtExit()
        return shop
    }()
    static let conversation: Conversation = waitFor { try! await Conversation.open(shop: shop.shop, environment: shop.store) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBotLine(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let input = Array(UnsafeRawBufferPointer(start: start, count: count))
    guard let first = input.first else { return 0 }
    let fuzzShop = Fixture.shop
    let conversation = Fixture.conversation
    let userId = [fuzzShop.owner, fuzzShop.admin, fuzzShop.customer][Int(first & 3) % 3]
    let principal = Principal.user(userId, via: .bot)
    let language: Language = first & 4 == 0 ? .pt : .en
    let messages = input.dropFirst().split(separator: 0, maxSplits: 3, omittingEmptySubsequences: false)
        .map { String(decoding: $0, as: UTF8.self) }
    waitFor {
        await fuzzShop.restoreOwner()
        // Each input starts with no dialogue open, so that a crash replays from its input alone
        // (its messages can open one); what the shop holds carries over, as in a live shop.
        for user in [fuzzShop.owner, fuzzShop.admin, fuzzShop.customer] {
            if let lookup = try? await conversation.dialogues.current(user), lookup == DialogueStore.Lookup.none { continue }
            try? await conversation.dialogues.end(user)
        }
        for text in messages {
            if let request = ChatRequest(line: text, principal: principal, language: language) {
                _ = await conversation.run(request)
            } else {
                _ = await conversation.continueDialogue(text, principal: principal, language: language)
            }
        }
    }
    return 0
}
