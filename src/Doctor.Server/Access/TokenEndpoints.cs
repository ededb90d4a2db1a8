using Doctor.Access;
using Doctor.Control;
using Doctor.Serialization;
using Doctor.Server.Http;
using Doctor.Server.Inventory;

namespace Doctor.Server.Access;

/// <summary><c>/v1/tokens</c> (admin): create, list without secrets, revoke at once.</summary>
public static class TokenEndpoints
{
    /// <summary>Input of <c>POST /v1/tokens</c>.</summary>
    public sealed record TokenInput(string? Role, string? ProjectId, string? ExpiresAt);

    /// <summary>A token without its secret.</summary>
    public sealed record TokenView(string TokenId, string Role, string? ProjectId, string CreatedAt, string? ExpiresAt)
    {
        public static TokenView Of(Token t) => new(t.TokenId, t.Role.Name(), t.ProjectId, Rfc3339.Format(t.CreatedAt), t.ExpiresAt is { } e ? Rfc3339.Format(e) : null);
    }

    /// <summary>The answer to a create: the only time the secret is shown.</summary>
    public sealed record CreatedToken(string TokenId, string Token, string Role, string? ProjectId, string? ExpiresAt);

    public static void MapTokens(this IEndpointRouteBuilder app)
    {
        var tokens = app.MapGroup("/v1/tokens").Allow(Role.Admin);
        tokens.MapPost("", Create);
        tokens.MapGet("", List);
        tokens.MapGet("/{tokenId}", Get);
        tokens.MapDelete("/{tokenId}", Revoke);
    }

    private static async Task<IResult> Create(HttpContext context, DoctorEngine engine, TimeProvider time)
    {
        var input = await RequestBody.ReadAsync<TokenInput>(context);
        if (!Roles.TryParse(input.Role, out var role))
            throw new RequestException(Problems.BadRequest("role", "role must be admin, monitor or project"));
        var project = InventoryValidation.Identifier(input.ProjectId, "project_id");
        if (role == Role.Project && project is null)
            throw new RequestException(Problems.BadRequest("project_id", "a project token needs project_id"));
        if (role != Role.Project && project is not null)
            throw new RequestException(Problems.BadRequest("project_id", "only project tokens carry a project_id"));
        DateTimeOffset? expires = null;
        if (input.ExpiresAt is not null)
        {
            if (!Rfc3339.TryParse(input.ExpiresAt, out var parsed))
                throw new RequestException(Problems.BadRequest("expires_at", "expires_at must be an RFC 3339 time"));
            if (parsed <= time.GetUtcNow())
                throw new RequestException(Problems.BadRequest("expires_at", "expires_at must be in the future"));
            expires = parsed;
        }

        var secret = TokenSecrets.Generate();
        var token = await engine.ExecuteAsync(editor =>
        {
            var created = new Token
            {
                TokenId = Guid.CreateVersion7().ToString(), Hash = TokenSecrets.HashOf(secret), Role = role, ProjectId = project,
                CreatedAt = editor.Now, ExpiresAt = expires,
            };
            editor.Tokens.Put(created);
            return created;
        });
        var view = new CreatedToken(token.TokenId, secret, role.Name(), project, expires is { } e ? Rfc3339.Format(e) : null);
        return TypedResults.Created($"/v1/tokens/{token.TokenId}", view);
    }

    private static IResult List(HttpRequest request, DoctorEngine engine)
    {
        var page = Page.From(request);
        return Page.Answer("tokens", page.Take(engine.State.Tokens.All.After(page.Marker), _ => true, t => t.TokenId, TokenView.Of));
    }

    private static IResult Get(string tokenId, DoctorEngine engine) =>
        engine.State.Tokens.All.Get(tokenId) is { } token ? TypedResults.Json(TokenView.Of(token), DoctorJson.Options) : Problems.NotFound($"token {tokenId}");

    private static async Task<IResult> Revoke(string tokenId, DoctorEngine engine) =>
        await engine.ExecuteAsync(editor => editor.Tokens.Remove(tokenId)) ? TypedResults.NoContent() : Problems.NotFound($"token {tokenId}");
}
