using Doctor.Access;

namespace Doctor.Server.Access;

/// <summary>Endpoint metadata: the roles that may call it. Every endpoint declares one (the route-table test checks).</summary>
public sealed record AccessRule(IReadOnlyList<Role> Roles)
{
    public static readonly AccessRule Anonymous = new([]);

    public bool IsAnonymous => Roles.Count == 0;
}

/// <summary>The authenticated caller of a request.</summary>
public sealed record Caller(Token Token)
{
    public Role Role => Token.Role;
    public bool IsAdmin => Token.Role == Role.Admin;

    /// <summary>The project a project-role caller is confined to.</summary>
    public string? ProjectId => Token.Role == Role.Project ? Token.ProjectId : null;

    /// <summary>Whether the caller may see a resource owned by <paramref name="projectId"/>.</summary>
    public bool CanSee(string? projectId) => IsAdmin || (Role == Role.Project && projectId is not null && projectId == Token.ProjectId);
}

/// <summary>Route builder helpers for declaring access.</summary>
public static class AccessExtensions
{
    public static TBuilder Allow<TBuilder>(this TBuilder builder, params Role[] roles)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new AccessRule(roles));

    public static TBuilder Public<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(AccessRule.Anonymous);

    public static Caller Caller(this HttpContext context) =>
        context.Features.Get<Caller>() ?? throw new InvalidOperationException("no authenticated caller on this request");
}
