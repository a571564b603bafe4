import ArgusCore
import ArgusStorage
import HTTPTypes
import Hummingbird
import NIOCore

/// `GET /v1/exports/fingerprints?format=csv|json` (scope `export`): every device
/// matching the `/v1/devices` filters, streamed. The body is written page by
/// page (`exportPageSize` rows per keyset query), so memory stays constant
/// whatever the number of rows.
struct ExportController {
    let runtime: ArgusRuntime
    var auth: DeviceAPIAuth { DeviceAPIAuth(runtime: runtime) }

    func addRoutes(to router: Router<ArgusRequestContext>) {
        router.get("/v1/exports/fingerprints", use: DeviceAPIError.answering(fingerprints))
    }

    @Sendable func fingerprints(_ request: Request, context: ArgusRequestContext) async throws -> Response {
        let key = try await auth.authorize(request, context: context, scope: .export)
        let p = request.uri.queryParameters
        let format: DeviceExporter.Format
        switch p.get("format") ?? "csv" {
        case "csv": format = .csv
        case "json": format = .json
        default: throw DeviceAPIError.invalid("format must be csv or json")
        }
        var query = try DeviceListParameters.parse(p, environmentID: key.environmentID)
        query.limit = runtime.config.exportPageSize
        let exporter = DeviceExporter(store: runtime.store, format: format, query: query)
        var headers = HTTPFields()
        headers[.contentType] = format == .csv ? "text/csv; charset=utf-8; header=present" : "application/json"
        headers[.contentDisposition] = "attachment; filename=\"fingerprints.\(format == .csv ? "csv" : "json")\""
        headers[.cacheControl] = "no-store"
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { writer in
                try await exporter.run { chunk in try await writer.write(chunk) }
                try await writer.finish(nil)
            })
    }
}

/// Writes devices as CSV (RFC 4180, header row, CRLF) or as one JSON array, one chunk per database page.
struct DeviceExporter: Sendable {
    enum Format: Sendable { case csv, json }

    let store: any ArgusStore
    let format: Format
    /// Filters, order and page size (`limit`).
    let query: DeviceQuery

    static let csvColumns = [
        "deviceId", "domainId", "score", "riskLevel", "confidence", "flags", "country", "city", "createdAt",
        "lastSubmittedAt", "lastSeenAt",
    ]

    /// Pages through the store and hands each page's bytes to `write`; returns the number of rows.
    @discardableResult
    func run(_ write: (ByteBuffer) async throws -> Void) async throws -> Int {
        var q = query
        var rows = 0
        var first = ByteBuffer()
        if format == .csv {
            first.writeString(Self.csvColumns.joined(separator: ",") + "\r\n")
        } else {
            first.writeString("[")
        }
        var pending: ByteBuffer? = first
        while true {
            let page = try await store.devices(q)
            var chunk = pending ?? ByteBuffer()
            pending = nil
            for d in page {
                switch format {
                case .csv: Self.csvRow(d, into: &chunk)
                case .json:
                    if rows > 0 { chunk.writeString(",") }
                    chunk.writeString("\n")
                    chunk.writeBytes(JSONWriter.bytes(DeviceJSON.device(d)))
                }
                rows += 1
            }
            if page.count < q.limit {
                if format == .json { chunk.writeString(rows > 0 ? "\n]\n" : "]\n") }
                try await write(chunk)
                return rows
            }
            try await write(chunk)
            q.after = page.last.map { DeviceCursor($0, sort: q.sort) }
        }
    }

    static func csvRow(_ d: DeviceRecord, into out: inout ByteBuffer) {
        let fields = [
            d.id, d.environmentID, String(d.risk.score), d.risk.level.rawValue, String(d.risk.confidence),
            d.risk.flags.joined(separator: ","), d.country ?? "", d.city ?? "", ISOTime.format(d.createdAt),
            ISOTime.format(d.lastSubmittedAt), ISOTime.format(d.lastSeenAt),
        ]
        for (i, f) in fields.enumerated() {
            if i > 0 { out.writeString(",") }
            out.writeString(csvField(f))
        }
        out.writeString("\r\n")
    }

    /// RFC 4180: a field with a comma, quote, CR or LF is enclosed in quotes, its quotes doubled.
    static func csvField(_ s: String) -> String {
        guard s.utf8.contains(where: { $0 == 44 || $0 == 34 || $0 == 13 || $0 == 10 }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
