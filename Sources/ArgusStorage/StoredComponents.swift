import ArgusCore

/// The identify body kept with each event (`events.components`, in every store), stored raw-deflated
/// against a preset dictionary (`ComponentsDictionary`): the 3,968-byte body of Debian's
/// Chromium (bench/components.json) takes a few hundred bytes instead of 3,968 (1,941
/// with plain deflate), and compressing it costs less than half of plain deflate.
/// The first byte says how a row is stored; a JSON text never starts with either marker,
/// so rows written before compression read as they are:
/// - 0x01: deflate with dictionary v1 (what is written now);
/// - 0x00: plain deflate (rows written before the dictionary).
public enum StoredComponents {
    static let plainMarker: UInt8 = 0
    static let dictionaryV1Marker: UInt8 = 1
    /// Bodies are at most 64 KiB (`IdentifyRequest.maxBodyBytes`); the bound keeps a bad row from inflating without end.
    static let maxSize = 1 << 20

    public static func encode(_ raw: [UInt8]) -> [UInt8] {
        // An 8 KiB window holds the 3.8 KB dictionary and a typical body; memLevel 6 keeps the state small.
        guard raw.count > 64,
            let packed = try? RawDeflate.compress(
                raw, level: 3, windowBits: 13, memLevel: 6, dictionary: ComponentsDictionary.v1),
            packed.count + 1 < raw.count
        else { return raw }
        return [dictionaryV1Marker] + packed
    }

    public static func decode(_ stored: [UInt8]) -> [UInt8] {
        let dictionary: [UInt8]?
        switch stored.first {
        case dictionaryV1Marker: dictionary = ComponentsDictionary.v1
        case plainMarker: dictionary = nil
        default: return stored
        }
        return (try? RawDeflate.decompress(Array(stored.dropFirst()), maxSize: maxSize, dictionary: dictionary)) ?? []
    }
}
