internal import ArgusCore
import Crypto
import Foundation

/// Why a sealed result could not be opened.
public enum UnsealError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Not base64, too short, or not starting with the 9E85DCED header.
    case invalidHeader
    /// None of the keys opened it: one message per key, in the order tried.
    case allKeysFailed([String])
    /// A key opened it, but the content is not raw deflate (or inflates past 1 MiB).
    case invalidCompression
    /// It opened and inflated, but is not JSON.
    case invalidJSON
    /// It is JSON, but not an event (`event_id` and `timestamp` missing or mistyped).
    case invalidEvent(String)

    public var description: String {
        switch self {
        case .invalidHeader: return "invalid header: not a sealed result"
        case .allKeysFailed(let errors): return "no key opened the sealed result: \(errors.joined(separator: "; "))"
        case .invalidCompression: return "invalid compression"
        case .invalidJSON: return "invalid JSON"
        case .invalidEvent(let why): return "not an event: \(why)"
        }
    }
}

/// Opens a sealed client result (base64 text, as the agent hands it over),
/// trying each 32-byte key in order, and decodes the event.
public func unseal(_ sealedResult: String, keys: [SymmetricKey]) throws(UnsealError) -> Event {
    guard let data = Data(base64Encoded: sealedResult.trimmingCharacters(in: .whitespacesAndNewlines)) else {
        throw .invalidHeader
    }
    return try unseal(data, keys: keys)
}

/// Opens a sealed client result given as bytes.
public func unseal(_ sealedResult: Data, keys: [SymmetricKey]) throws(UnsealError) -> Event {
    let plaintext: [UInt8]
    do {
        plaintext = try SealedResult.unseal(Array(sealedResult), keys: keys)
    } catch {
        switch error {
        case .invalidHeader: throw .invalidHeader
        case .decryptionFailed(let errors): throw .allKeysFailed(errors)
        case .invalidCompression: throw .invalidCompression
        case .invalidJSON: throw .invalidJSON
        }
    }
    do {
        return try Event.decode(Data(plaintext))
    } catch {
        throw .invalidEvent("\(error)")
    }
}

/// Keys from their base64 text (as `argus encryption-keys` prints them).
public func decryptionKey(base64: String) -> SymmetricKey? {
    guard let data = Data(base64Encoded: base64), data.count == 32 else { return nil }
    return SymmetricKey(data: data)
}
