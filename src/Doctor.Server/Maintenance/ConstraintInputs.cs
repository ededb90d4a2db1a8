using Doctor.Maintenance;
using Doctor.Serialization;
using Doctor.Server.Access;
using Doctor.Server.Http;

namespace Doctor.Server.Maintenance;

/// <summary>Body of <c>PUT /v1/instance/{id}</c>.</summary>
public sealed record InstanceConstraintInput(
    string? InstanceId, string? ProjectId, string? GroupId, string? InstanceName, int? MaxInterruptionTime, string? MigrationType,
    bool? ResourceMitigation, int? LeadTime);

/// <summary>Body of <c>PUT /v1/instance_group/{id}</c>.</summary>
public sealed record InstanceGroupConstraintInput(
    string? GroupId, string? ProjectId, string? GroupName, bool? AntiAffinityGroup, int? MaxInstancesPerHost, int? MaxImpactedMembers,
    int? RecoveryTime, bool? ResourceMitigation);

/// <summary>An instance record as the API shows it.</summary>
public sealed record InstanceConstraintView(
    string InstanceId, string? ProjectId, string? GroupId, string? InstanceName, int? MaxInterruptionTime, string? MigrationType,
    bool? ResourceMitigation, int? LeadTime, string UpdatedAt)
{
    public static InstanceConstraintView Of(InstanceConstraint r) => new(
        r.InstanceId, r.ProjectId, r.GroupId, r.InstanceName, r.MaxInterruptionTime, r.MigrationType, r.ResourceMitigation, r.LeadTime, Rfc3339.Format(r.UpdatedAt));
}

/// <summary>An instance-group record as the API shows it.</summary>
public sealed record InstanceGroupConstraintView(
    string GroupId, string? ProjectId, string? GroupName, bool AntiAffinityGroup, int? MaxInstancesPerHost, int? MaxImpactedMembers,
    int? RecoveryTime, bool? ResourceMitigation, string UpdatedAt)
{
    public static InstanceGroupConstraintView Of(InstanceGroupConstraint r) => new(
        r.GroupId, r.ProjectId, r.GroupName, r.AntiAffinityGroup, r.MaxInstancesPerHost, r.MaxImpactedMembers, r.RecoveryTime, r.ResourceMitigation,
        Rfc3339.Format(r.UpdatedAt));
}

/// <summary>Validation of constraint records: 400 naming the field.</summary>
public static class ConstraintInputs
{
    /// <summary>Longest time a record may name: one day, in seconds.</summary>
    private const int MaxSeconds = 86_400;

    public static InstanceConstraint ToInstance(InstanceConstraintInput input, string pathId, Caller caller)
    {
        Id(input.InstanceId, pathId, "instance_id");
        if (input.MigrationType is { } type && !SessionStates.InstanceActions.Contains(type))
            throw Bad("migration_type", "migration_type must be MIGRATE, LIVE_MIGRATE or OWN_ACTION");
        return new InstanceConstraint
        {
            InstanceId = pathId, ProjectId = Project(input.ProjectId, caller), GroupId = Identifier(input.GroupId, "group_id"),
            InstanceName = Identifier(input.InstanceName, "instance_name"), MaxInterruptionTime = Seconds(input.MaxInterruptionTime, "max_interruption_time"),
            MigrationType = input.MigrationType, ResourceMitigation = input.ResourceMitigation, LeadTime = Seconds(input.LeadTime, "lead_time"),
        };
    }

    public static InstanceGroupConstraint ToGroup(InstanceGroupConstraintInput input, string pathId, Caller caller)
    {
        Id(input.GroupId, pathId, "group_id");
        if (input.MaxInstancesPerHost is < 1 or > 100_000)
            throw Bad("max_instances_per_host", "max_instances_per_host must be from 1 to 100000");
        if (input.MaxImpactedMembers is < 0 or > 100_000)
            throw Bad("max_impacted_members", "max_impacted_members must be from 0 to 100000");
        return new InstanceGroupConstraint
        {
            GroupId = pathId, ProjectId = Project(input.ProjectId, caller), GroupName = Identifier(input.GroupName, "group_name"),
            AntiAffinityGroup = input.AntiAffinityGroup ?? true, MaxInstancesPerHost = input.MaxInstancesPerHost, MaxImpactedMembers = input.MaxImpactedMembers,
            RecoveryTime = Seconds(input.RecoveryTime, "recovery_time"), ResourceMitigation = input.ResourceMitigation,
        };
    }

    private static void Id(string? bodyId, string pathId, string field)
    {
        if (!Fields.IsIdentifier(pathId))
            throw Bad(field, $"{field} must be 1–255 characters");
        if (bodyId is not null && bodyId != pathId)
            throw Bad(field, $"{field} in the body must be the one in the path");
    }

    /// <summary>A project member's records are its project's; an admin may name any project (or none).</summary>
    private static string? Project(string? projectId, Caller caller)
    {
        var checkedId = Identifier(projectId, "project_id");
        if (caller.IsAdmin)
            return checkedId;
        if (checkedId is not null && checkedId != caller.ProjectId)
            throw Bad("project_id", "project_id must be your own project");
        return caller.ProjectId;
    }

    private static string? Identifier(string? value, string field)
    {
        if (value is not null && !Fields.IsIdentifier(value))
            throw Bad(field, $"{field} must be 1–255 characters without control characters");
        return value;
    }

    private static int? Seconds(int? value, string field)
    {
        if (value is < 0 or > MaxSeconds)
            throw Bad(field, $"{field} must be from 0 to {MaxSeconds} seconds");
        return value;
    }

    private static RequestException Bad(string field, string detail) => new(Problems.BadRequest(field, detail));
}
