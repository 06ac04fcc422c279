#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Why no free loopback port could be found.
public struct LoopbackPortError: Error, CustomStringConvertible {
    public let description = "cannot find a free loopback port"
}

/// A loopback TCP port nobody listens on now: the kernel picks a free one for a socket bound to
/// port 0, which is then closed (a random port can collide with one in use).
public func freeLoopbackPort() throws -> UInt16 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = 0
    addr.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
        }
    }
    guard bound else { throw LoopbackPortError() }
    return UInt16(bigEndian: addr.sin_port)
}
