using System.Text.Json.Nodes;
using Doctor.Access;
using Doctor.Inspection;
using Doctor.Serialization;
using Doctor.Server.Access;
using Doctor.Server.Http;

namespace Doctor.Server.Inspection;

/// <summary>The failure policy in force (<c>GET /v1/policy</c>) and its reload (<c>POST /v1/policy/reload</c>); admin only.</summary>
public static class PolicyEndpoints
{
    /// <summary>Answer of a reload: where the policy came from, how many rules, when.</summary>
    public sealed record ReloadView(string Source, int Rules, string LoadedAt);

    public static void MapPolicy(this IEndpointRouteBuilder app)
    {
        var policy = app.MapGroup("/v1/policy");
        policy.MapGet("", Get).Allow(Role.Admin);
        policy.MapPost("/reload", Reload).Allow(Role.Admin);
    }

    private static IResult Get(PolicyReloader reloader)
    {
        var loaded = reloader.Current;
        var body = new JsonObject
        {
            ["source"] = loaded.Source,
            ["loaded_at"] = Rfc3339.Format(loaded.LoadedAt),
            ["rules"] = PolicyDocument.Rules(loaded.Policy),
            ["group"] = PolicyDocument.Group(loaded.Policy),
        };
        return TypedResults.Json(body, DoctorJson.Options);
    }

    private static IResult Reload(PolicyReloader reloader)
    {
        try
        {
            var loaded = reloader.Reload("POST /v1/policy/reload");
            return TypedResults.Json(new ReloadView(loaded.Source, loaded.Policy.Rules.Length, Rfc3339.Format(loaded.LoadedAt)), DoctorJson.Options);
        }
        catch (PolicyFileException ex)
        {
            // 422: the request is fine, the file it points at is not. The errors also come as a list for tools.
            var count = ex.Errors.Count == 1 ? "1 problem" : $"{ex.Errors.Count} problems";
            return TypedResults.Problem(
                detail: $"policy file {ex.File} is invalid ({count}); the previous policy stays in force: {string.Join("; ", ex.Errors)}",
                statusCode: StatusCodes.Status422UnprocessableEntity,
                title: Problems.Title(StatusCodes.Status422UnprocessableEntity),
                extensions: new Dictionary<string, object?> { ["source"] = ex.File, ["errors"] = ex.Errors });
        }
    }
}
