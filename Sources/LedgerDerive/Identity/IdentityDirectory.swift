/// An IAM Identity Center user, as `identities.csv` or CloudTrail sign-ins name them.
public struct Identity: Sendable, Equatable, Codable {
    /// Identity Store user id.
    public var userID: String
    public var userName: String
    public var email: String?
    public var costCenter: String?

    public init(userID: String, userName: String, email: String? = nil, costCenter: String? = nil) {
        self.userID = userID
        self.userName = userName
        self.email = email
        self.costCenter = costCenter
    }
}

/// Finds the Identity Center user behind a Livy user name.
///
/// A Livy `proxyUser` is whatever the notebook sent: the Identity Center user name, the e-mail
/// address, or its local part. All three are tried, case-insensitively, in that order; a name
/// that matches two different users is left unresolved rather than guessed.
struct IdentityDirectory {
    private var byName: [String: [Identity]] = [:]
    private var byEmail: [String: [Identity]] = [:]
    private var byLocalPart: [String: [Identity]] = [:]
    private(set) var all: [Identity] = []

    init(_ identities: [Identity]) {
        for identity in identities where !all.contains(where: { $0.userID == identity.userID }) {
            all.append(identity)
            byName[identity.userName.lowercased(), default: []].append(identity)
            if let email = identity.email?.lowercased(), !email.isEmpty {
                byEmail[email, default: []].append(identity)
                if let at = email.firstIndex(of: "@") {
                    byLocalPart[String(email[..<at]), default: []].append(identity)
                }
            }
            // A user name that is itself an e-mail address.
            let name = identity.userName.lowercased()
            if identity.email == nil, name.contains("@") {
                byEmail[name, default: []].append(identity)
                if let at = name.firstIndex(of: "@") { byLocalPart[String(name[..<at]), default: []].append(identity) }
            }
        }
    }

    func resolve(_ name: String) -> Identity? {
        let key = name.lowercased()
        for table in [byName, byEmail, byLocalPart] {
            if let found = table[key] {
                let ids = Set(found.map(\.userID))
                return ids.count == 1 ? found.first : nil
            }
        }
        return nil
    }

    func user(id: String) -> Identity? { all.first { $0.userID == id } }
}
