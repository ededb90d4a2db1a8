namespace Doctor.OpenStack.Sync;

/// <summary>One change of the cloud, as a notification told it; null fields were not in the message.</summary>
public abstract record CloudChange
{
    /// <summary>A server exists (created, updated, moved); only the fields given change.</summary>
    public sealed record ServerSeen(string Id, string? Name, string? ProjectId, string? Host) : CloudChange;

    public sealed record ServerGone(string Id) : CloudChange;

    /// <summary>A compute service changed (enabled/disabled, forced down); null when the message did not say.</summary>
    public sealed record ComputeSeen(string Host, string? ServiceId, string? Zone, bool? Enabled, bool? ForcedDown) : CloudChange
    {
        /// <summary>Why the service is disabled, when the message said.</summary>
        public string? DisabledReason { get; init; }
    }

    public sealed record PortSeen(string Id, string? ServerId, string? ProjectId, string? Host, string? NetworkId, string? Status) : CloudChange;

    public sealed record PortGone(string Id) : CloudChange;
}
