import Alerts
import ArgumentParser
import Console
import Store
import Support
import Vocabulary

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// `chatwarden users add | list | disable | enable | passwd`: the review desk's accounts.
struct UsersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users",
        abstract: "Manage the accounts of the review console and the CLI.",
        discussion: """
            Roles: reviewer (reviews the staff groups that name them), supervisor (assigns, \
            confirms dismissals of high and critical alerts, reads the report), admin (manages \
            accounts; may do what a supervisor does), auditor (reads everything, changes nothing). \
            Passwords are read from the terminal without echo, or from standard input with \
            --password-stdin; they are stored as bcrypt hashes. Who ran the command is recorded in \
            the access log.
            """,
        subcommands: [Add.self, List.self, Disable.self, Enable.self, Passwd.self, SetRole.self],
        defaultSubcommand: List.self)

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add an account.")
        @OptionGroup var common: CommonOptions
        @Option(help: "reviewer, supervisor, admin or auditor.") var role: String
        @Flag(help: "Read the password from standard input (one line) instead of the terminal.")
        var passwordStdin = false
        @Argument(help: "Account name: letters, digits, '.', '_', '-'.") var name: String

        func validate() throws {
            if Role(rawValue: role) == nil {
                throw ValidationError("--role must be reviewer, supervisor, admin or auditor")
            }
            if !ChatStore.isValidAccountName(name) {
                throw ValidationError("'\(name)' is not a valid account name (1–64 letters, digits, '.', '_', '-')")
            }
        }

        func run() async throws {
            let store = try Setup.store(common)
            let password = try UsersCommand.readPassword(stdin: passwordStdin, account: name)
            do {
                try store.addAccount(
                    name: name, role: Role(rawValue: role)!, passwordHash: Passwords.hash(password),
                    by: Identity.osUser())
            } catch {
                Terminal.error("chatwarden: \(error.message)")
                throw ExitCode(1)
            }
            print(Setup.language.pick("已新增账号 \(name)（\(Role(rawValue: role)!.label(.zh))）", "added \(name) (\(role))"))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the accounts.")
        @OptionGroup var common: CommonOptions
        @Option(help: "Output format: table, json or csv.") var format: OutputFormat = .table

        func run() async throws {
            let store = try Setup.store(common)
            let l = Setup.language
            var listing = Listing(columns: [
                Column(title: l.pick("账号", "NAME")), Column(title: l.pick("角色", "ROLE")),
                Column(title: l.pick("状态", "STATE")), Column(title: l.pick("创建时间", "CREATED")),
            ])
            for a in try store.accounts() {
                listing.append(
                    [
                        a.name, a.role.label(l), a.disabled ? l.pick("已停用", "disabled") : l.pick("正常", "active"),
                        TimeFormat.local(milliseconds: a.createdAt),
                    ],
                    json: .object([
                        ("name", .string(a.name)), ("role", .string(a.role.rawValue)), ("disabled", .bool(a.disabled)),
                        ("created_at", .integer(a.createdAt)),
                    ]))
            }
            listing.print(format)
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable an account (it can no longer sign in).")
        @OptionGroup var common: CommonOptions
        @Argument var name: String
        func run() async throws {
            try UsersCommand.update(common, name) {
                try $0.updateAccount(name: name, disabled: true, by: Identity.osUser())
            }
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a disabled account.")
        @OptionGroup var common: CommonOptions
        @Argument var name: String
        func run() async throws {
            try UsersCommand.update(common, name) {
                try $0.updateAccount(name: name, disabled: false, by: Identity.osUser())
            }
        }
    }

    struct Passwd: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set an account's password.")
        @OptionGroup var common: CommonOptions
        @Flag(help: "Read the password from standard input (one line) instead of the terminal.")
        var passwordStdin = false
        @Argument var name: String
        func run() async throws {
            let password = try UsersCommand.readPassword(stdin: passwordStdin, account: name)
            try UsersCommand.update(common, name) {
                try $0.updateAccount(name: name, passwordHash: Passwords.hash(password), by: Identity.osUser())
            }
        }
    }

    struct SetRole: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "role", abstract: "Change an account's role.")
        @OptionGroup var common: CommonOptions
        @Option(help: "reviewer, supervisor, admin or auditor.") var role: String
        @Argument var name: String
        func validate() throws {
            if Role(rawValue: role) == nil {
                throw ValidationError("--role must be reviewer, supervisor, admin or auditor")
            }
        }
        func run() async throws {
            try UsersCommand.update(common, name) {
                try $0.updateAccount(name: name, role: Role(rawValue: role)!, by: Identity.osUser())
            }
        }
    }

    static func update(_ common: CommonOptions, _ name: String, _ change: (ChatStore) throws -> Void) throws {
        let store = try Setup.store(common)
        do {
            try change(store)
        } catch let error as StoreError {
            Terminal.error("chatwarden: \(error.message)")
            throw ExitCode(1)
        }
        print(Setup.language.pick("已更新 \(name)", "updated \(name)"))
    }

    /// The password from the terminal (twice, without echo) or one line of standard input.
    static func readPassword(stdin: Bool, account: String) throws -> String {
        let password: String
        if stdin || isatty(0) == 0 {
            password = readLine(strippingNewline: true) ?? ""
        } else {
            guard let first = getpass("Password: ").map({ String(cString: $0) }),
                let second = getpass("Again: ").map({ String(cString: $0) })
            else { throw ExitCode(1) }
            guard first == second else {
                Terminal.error("chatwarden: the two passwords differ")
                throw ExitCode(1)
            }
            password = first
        }
        if let problem = Passwords.problem(password, account: account) {
            Terminal.error("chatwarden: \(problem)")
            throw ExitCode(2)
        }
        return password
    }
}

/// Who runs a command: the OS user (through sudo, the user who ran sudo), with the role of the
/// account of that name. An OS user without an account reviews everything (the store file's
/// permissions already decide who gets this far) but cannot supervise; root acts as an admin.
enum Identity {
    static func viewer(_ desk: Desk) throws -> Viewer {
        let name = osUser()
        if let account = try desk.store.account(named: name) {
            guard !account.disabled else {
                Terminal.error("chatwarden: the account \(name) is disabled")
                throw ExitCode(1)
            }
            return desk.viewer(account: name, role: account.role)
        }
        return Viewer(account: name, role: getuid() == 0 ? .admin : .reviewer, scope: nil)
    }

    static func osUser() -> String {
        if getuid() == 0, let sudo = getenv("SUDO_USER").map({ String(cString: $0) }), !sudo.isEmpty { return sudo }
        if let pw = getpwuid(getuid()), let name = pw.pointee.pw_name { return String(cString: name) }
        return "uid \(getuid())"
    }
}
