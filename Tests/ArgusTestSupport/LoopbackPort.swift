import Foundation

/// Helpers the test targets share (not shipped).
public enum LoopbackPort {
    /// A loopback port nothing listens on: bound to port 0, read back, released. For tests of
    /// "server unreachable", or a port to start a server on.
    public static func free() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw PortError() }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    public struct PortError: Error, CustomStringConvertible {
        public var description: String { "cannot find a free loopback port" }
    }
}
