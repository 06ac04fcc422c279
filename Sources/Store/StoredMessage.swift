import Alerts
public import Vocabulary
import Archive
import Foundation

/// A message of the archive index.
public struct StoredMessage: Sendable, Equatable {
    public var msgid: String
    public var msgtime: Int64
    public var action: String
    public var msgtype: String
    public var sender: String
    public var senderKind: ParticipantKind
    public var tolist: [String]
    public var roomid: String
    public var conversation: String
    public var text: String
    public var file: String
    public var line: Int
    public var offset: Int64
    /// For a recall record: the message it withdrew.
    public var recalls: String?
    /// How the record was repaired to be read (see `ArchiveMessage.repair`).
    public var repair: String? = nil
}
