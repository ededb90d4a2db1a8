using System.Collections.Immutable;

namespace Doctor.Maintenance;

/// <summary>
/// The <c>maintenance</c> object of a maintenance notification (SPEC §6): a project message
/// (<c>maintenance.scheduled</c>, <see cref="ProjectId"/> set) or a host message to admin subscribers
/// (<c>maintenance.host</c>, <see cref="Host"/> set).
/// </summary>
public sealed record MaintenanceMessage(
    string SessionId,
    string? ProjectId,
    string? Host,
    string State,
    ImmutableArray<string> InstanceIds,
    ImmutableArray<string> AllowedActions,
    DateTimeOffset? ActionsAt,
    DateTimeOffset? ReplyAt,
    ImmutableSortedDictionary<string, string> Metadata)
{
    public const string ProjectEvent = "maintenance.scheduled";
    public const string HostEvent = "maintenance.host";

    /// <summary>Where the project answers (relative to the service's base URL).</summary>
    public string? ReplyUrl => ProjectId is null ? null : $"/v1/maintenance/{SessionId}/{ProjectId}";

    public bool IsHostMessage => ProjectId is null;
}
