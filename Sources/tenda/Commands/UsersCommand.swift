import ArgumentParser
import Foundation
import Server
import Shop
import Store

/// `tenda users …`: see and change who may do what, on the shop's own machine.
struct UsersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users",
        abstract: "List users and grant roles.",
        subcommands: [List.self, Grant.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every user with their role, newest first.")

        @Option(name: .long, help: "The store's folder.")
        var dataDir: String = "./tenda-data"

        func run() async throws {
            let shop = try await DataFolder.openShop(dataDir, create: false)
            let rows: [[String]]
            do {
                rows = try Self.rows(shop)
            } catch {
                await shop.close()
                throw error
            }
            await shop.close()
            let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
            for row in rows {
                print(zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  "))
            }
        }

        static func rows(_ shop: Shop) throws -> [[String]] {
            var rows: [[String]] = [["id", "telegram", "name", "username", "role", "blocked", "debt"]]
            var cursor: PageCursor? = nil
            repeat {
                let page = try shop.users(page: PageRequest(limit: 200, cursor: cursor), as: .system())
                for record in page.items {
                    let user = record.value
                    let debt = try shop.debt(of: user.id, as: .system())
                    rows.append([user.publicId, "\(user.telegramId)", user.name, user.username.map { "@\($0)" } ?? "",
                                 user.role.rawValue, user.blocked ? "yes" : "", Money.format(debt.amount, debt.currency)])
                }
                cursor = page.next
            } while cursor != nil
            return rows
        }
    }

    struct Grant: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Give the user with this Telegram id a role (user, admin or owner).",
            discussion: "A person not seen yet is recorded now, so the owner can name admins before they first open the bot.")

        @Option(name: .long, help: "The store's folder.")
        var dataDir: String = "./tenda-data"

        @Argument(help: "The person's Telegram user id.")
        var telegramId: Int64

        @Argument(help: "user, admin or owner.")
        var role: String

        func run() async throws {
            guard let role = Role(rawValue: role) else { throw ValidationFailure("the role must be user, admin or owner") }
            let shop = try await DataFolder.openShop(dataDir, create: false)
            do {
                let user: User
                if let known = try shop.user(telegramId: telegramId, as: .system()) {
                    user = known.value
                } else {
                    user = try await shop.execute(SeeTelegramUser(identity: TelegramIdentity(
                        telegramId: telegramId, firstName: "Telegram \(telegramId)")), as: .system())
                }
                // Through the command table, as `tenda run updateUser` would.
                let input = try JSONSerialization.data(withJSONObject: ["userId": user.publicId, "role": role.rawValue])
                _ = try await runTableCommand("updateUser", params: input, shop: shop, as: .system(.cli))
                print("\(user.name) (\(user.publicId), Telegram \(telegramId)) is now \(role.rawValue)")
            } catch {
                await shop.close()
                throw error
            }
            await shop.close()
        }
    }
}
