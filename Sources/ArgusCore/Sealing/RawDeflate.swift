import CZlib

/// Raw deflate (RFC 1951: no zlib or gzip header) through the system zlib; `gzip` and
/// `gunzip` wrap the same stream in RFC 1952's header and trailer (HTTP's `Content-Encoding: gzip`).
public enum RawDeflate {
    public enum Failure: Error, Equatable {
        case corrupt
        /// Inflating would produce more than the allowed size (a decompression bomb).
        case tooLarge(limit: Int)
        case zlib(Int32)
    }

    /// - Parameters:
    ///   - windowBits: 9…15; the default 4 KiB window and memLevel 5 keep zlib's state small
    ///     (events are a few KB; any inflater with the standard 32 KiB window reads the stream).
    ///   - dictionary: a preset dictionary (RFC 1951 allows back-references into it); the
    ///     reader must pass the same bytes to `decompress`. The window must hold it and the input
    ///     for it to pay.
    public static func compress(
        _ input: [UInt8], level: Int32 = 6, windowBits: Int32 = 12, memLevel: Int32 = 5, dictionary: [UInt8]? = nil
    ) throws -> [UInt8] {
        // Negative windowBits: raw deflate.
        try deflated(input, level: level, windowBits: -windowBits, memLevel: memLevel, dictionary: dictionary)
    }

    /// The gzip member (RFC 1952) of `input`, at zlib's best compression: for assets compressed once.
    public static func gzip(_ input: [UInt8], level: Int32 = 9) throws -> [UInt8] {
        // windowBits 15 + 16: zlib writes the gzip header and trailer.
        try deflated(input, level: level, windowBits: 15 + 16, memLevel: 8, dictionary: nil)
    }

    /// Inflates a gzip member, at most `maxSize` bytes.
    public static func gunzip(_ input: [UInt8], maxSize: Int) throws -> [UInt8] {
        try inflated(input, maxSize: maxSize, windowBits: 15 + 16, dictionary: nil)
    }

    /// `windowBits` as zlib takes it: negative for raw deflate, + 16 for gzip.
    private static func deflated(
        _ input: [UInt8], level: Int32, windowBits: Int32, memLevel: Int32, dictionary: [UInt8]?
    ) throws -> [UInt8] {
        var stream = z_stream()
        var status = deflateInit2_(
            &stream, level, Z_DEFLATED, windowBits, memLevel, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw Failure.zlib(status) }
        defer { deflateEnd(&stream) }
        if let dictionary {
            status = dictionary.withUnsafeBufferPointer { deflateSetDictionary(&stream, $0.baseAddress, uInt($0.count)) }
            guard status == Z_OK else { throw Failure.zlib(status) }
        }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(input.count))))
        status = input.withUnsafeBufferPointer { inBuf in
            output.withUnsafeMutableBufferPointer { outBuf in
                stream.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress)
                stream.avail_in = uInt(inBuf.count)
                stream.next_out = outBuf.baseAddress
                stream.avail_out = uInt(outBuf.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END else { throw Failure.zlib(status) }
        output.removeLast(output.count - Int(stream.total_out))
        return output
    }

    /// Inflates at most `maxSize` bytes; more is an error, never an allocation.
    /// `dictionary`: the preset dictionary the stream was compressed with, if any.
    public static func decompress(_ input: [UInt8], maxSize: Int, dictionary: [UInt8]? = nil) throws -> [UInt8] {
        try inflated(input, maxSize: maxSize, windowBits: -15, dictionary: dictionary)
    }

    private static func inflated(_ input: [UInt8], maxSize: Int, windowBits: Int32, dictionary: [UInt8]?) throws -> [UInt8] {
        var stream = z_stream()
        var status = inflateInit2_(&stream, windowBits, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw Failure.zlib(status) }
        defer { inflateEnd(&stream) }
        if let dictionary {  // a raw stream takes its dictionary up front
            status = dictionary.withUnsafeBufferPointer { inflateSetDictionary(&stream, $0.baseAddress, uInt($0.count)) }
            guard status == Z_OK else { throw Failure.zlib(status) }
        }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        try input.withUnsafeBufferPointer { inBuf in
            stream.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress)
            stream.avail_in = uInt(inBuf.count)
            repeat {
                let produced: Int = chunk.withUnsafeMutableBufferPointer { outBuf in
                    stream.next_out = outBuf.baseAddress
                    stream.avail_out = uInt(outBuf.count)
                    status = inflate(&stream, Z_NO_FLUSH)
                    return outBuf.count - Int(stream.avail_out)
                }
                guard status == Z_OK || status == Z_STREAM_END || (status == Z_BUF_ERROR && produced > 0) else {
                    throw Failure.corrupt
                }
                if output.count + produced > maxSize { throw Failure.tooLarge(limit: maxSize) }
                output.append(contentsOf: chunk[0..<produced])
                if status != Z_STREAM_END && produced == 0 && stream.avail_in == 0 { throw Failure.corrupt }
            } while status != Z_STREAM_END
        }
        return output
    }
}
