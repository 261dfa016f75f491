/// What a file's location says about it: the EMR log-archive and `AWSLogs/` layouts carry the
/// cluster, instance, account and region.
///
/// Settings from the command line or the config win.
public struct InputContext: Sendable, Equatable, Hashable {
    /// EMR cluster id (`j-…`), or whatever the user names a cluster / Glue endpoint.
    public var clusterID: String?
    /// EC2 instance id of the node whose logs these are (`i-…`).
    public var instanceID: String?
    /// 12-digit AWS account id.
    public var accountID: String?
    /// AWS region, as written in the path (regions are never checked against a list).
    public var region: String?
    /// IANA time zone of the wall-clock timestamps in Livy and YARN logs.
    public var timeZone: String

    public init(
        clusterID: String? = nil, instanceID: String? = nil, accountID: String? = nil,
        region: String? = nil, timeZone: String = "UTC"
    ) {
        self.clusterID = clusterID
        self.instanceID = instanceID
        self.accountID = accountID
        self.region = region
        self.timeZone = timeZone
    }
}
