import LedgerModel

/// Every format the tool reads, in the order they are tried when recognising a file.
public enum FormatRegistry {
    /// Keep sorted by name; one line per format.
    public static var all: [any LogFormat.Type] {
        [
            // START SORT
            CloudTrailFormat.self,
            CloudTrailDigestFormat.self,
            LivyRequestFormat.self,
            LivyRestFormat.self,
            LivyServerFormat.self,
            SageMakerJobStateFormat.self,
            YarnAppListFormat.self,
            YarnResourceManagerFormat.self,
            // END SORT
        ]
    }

    public static var names: [String] { all.map { $0.name } }

    /// Every format's staging tables, by name.
    public static var stagingTables: [StagingTable] {
        Array(Set(all.flatMap { $0.tables })).sorted { $0.name < $1.name }
    }

    /// The parser revision of the format named `name` (``LogFormat/revision``), or nil.
    public static func revision(of name: String) -> Int? {
        all.first(where: { $0.name == name })?.revision
    }

    /// The format named `name` (as in `--format`).
    public static func format(named name: String) throws(LedgerError) -> any LogFormat.Type {
        guard let f = all.first(where: { $0.name == name }) else {
            throw .unknownFormat(name, known: names)
        }
        return f
    }

    /// The format whose recogniser accepts `head`, or nil: unrecognised files are reported,
    /// never guessed at.
    public static func recognise(_ head: HeadSample) -> (any LogFormat.Type)? {
        all.first { $0.recognizes(head) }
    }
}
