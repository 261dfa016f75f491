import Foundation

/// Which CloudTrail records are kept, as `relevance.json` beside this file says: the one
/// definition, compiled in here (`embedInCode`) and read by the scale-out job
/// (`scale-out/cloudtrail_extract.py`), so that the two can never keep different records.
public struct CloudTrailRelevance: Sendable, Equatable {
    /// Event names kept, by event source; `*` keeps every name of that source.
    public var sources: [String: Set<String>]
    /// Keys whose presence anywhere in a record keeps it.
    public var keepIfPresent: [String]

    /// `relevance.json` as compiled in, byte for byte: its SHA-256 names the definition an
    /// extract was made with.
    public static let fileBytes: [UInt8] = PackageResources.relevance_json

    /// The compiled-in definition.
    public static let definition: CloudTrailRelevance = {
        guard let parsed = parse(Data(PackageResources.relevance_json)) else {
            // The file is part of the build: a test reads it, so a broken one never ships.
            preconditionFailure("Sources/LedgerFormats/CloudTrail/relevance.json is not a relevance definition")
        }
        return parsed
    }()

    /// `relevance.json`'s text, read; nil when it is not of that shape.
    public static func parse(_ data: Data) -> CloudTrailRelevance? {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let sources = object["sources"] as? [String: [String]],
            let keys = object["keep_if_present"] as? [String]
        else { return nil }
        return CloudTrailRelevance(sources: sources.mapValues(Set.init), keepIfPresent: keys)
    }
}
