/// Who a participant is, from the shape of WeCom ids: external contacts (customers) have ids
/// beginning `wo` or `wm`, robots `wb`; anything else is an enterprise member (staff).
public enum ParticipantKind: String, Sendable, Hashable, CaseIterable {
    case staff
    case customer
    case robot

    public init(id: String) {
        let utf8 = id.utf8
        if utf8.count >= 16, let first = utf8.first, first == UInt8(ascii: "w") {
            let second = utf8[utf8.index(after: utf8.startIndex)]
            if second == UInt8(ascii: "o") || second == UInt8(ascii: "m") { self = .customer; return }
            if second == UInt8(ascii: "b") { self = .robot; return }
        }
        self = .staff
    }
}
