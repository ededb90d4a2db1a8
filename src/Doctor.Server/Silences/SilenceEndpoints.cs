using Doctor.Access;
using Doctor.Control;
using Doctor.Serialization;
using Doctor.Server.Access;
using Doctor.Server.Hosting;
using Doctor.Server.Http;
using Doctor.Silences;
using Microsoft.Extensions.Options;

namespace Doctor.Server.Silences;

/// <summary><c>/v1/silences</c> (admin, SPEC §4): mute faults by matchers for a time window, Alertmanager-style.</summary>
public static class SilenceEndpoints
{
    public static void MapSilences(this IEndpointRouteBuilder app)
    {
        var silences = app.MapGroup("/v1/silences").Allow(Role.Admin);
        silences.MapPost("", Create);
        silences.MapGet("", List);
        silences.MapGet("/{silenceId}", Get);
        silences.MapDelete("/{silenceId}", Delete);
    }

    private static async Task<IResult> Create(HttpContext context, DoctorEngine engine, TimeProvider time, IOptions<DoctorServerOptions> options)
    {
        var caller = context.Caller();
        var input = await RequestBody.ReadAsync<SilenceInput>(context);
        var matchers = SilenceValidation.Matchers(input.Matchers);
        var (startsAt, endsAt) = SilenceValidation.Window(input.StartsAt, input.EndsAt, time.GetUtcNow());
        var comment = SilenceValidation.Comment(input.Comment);
        var most = options.Value.MaxSilences;

        var silence = await engine.ExecuteAsync(editor =>
        {
            // Checked on the writer thread: two concurrent creates cannot both take the last place.
            if (editor.Silences.Count >= most)
                throw new RequestException(Problems.Conflict($"{most} silences are kept at most; delete expired or unneeded ones first"));
            var created = new Silence
            {
                SilenceId = Guid.CreateVersion7().ToString(), Matchers = matchers, StartsAt = startsAt, EndsAt = endsAt, Comment = comment,
                CreatedBy = caller.Token.TokenId, CreatedAt = editor.Now,
            };
            editor.Silences.Put(created);
            return created;
        });
        return TypedResults.Created($"/v1/silences/{silence.SilenceId}", SilenceView.Of(silence, time.GetUtcNow()));
    }

    private static IResult List(HttpRequest request, DoctorEngine engine, TimeProvider time)
    {
        var page = Page.From(request);
        var text = request.Query["state"].ToString();
        SilenceState? wanted = null;
        if (text is not ("" or "all"))
        {
            if (!SilenceStates.TryParse(text, out var parsed))
                throw new RequestException(Problems.BadRequest("state", "state must be active, pending, expired or all"));
            wanted = parsed;
        }

        var now = time.GetUtcNow();
        return Page.Answer("silences", page.Take(
            engine.State.Silences.All.After(page.Marker), s => wanted is not { } w || s.StateAt(now) == w, s => s.SilenceId, s => SilenceView.Of(s, now)));
    }

    private static IResult Get(string silenceId, DoctorEngine engine, TimeProvider time) =>
        engine.State.Silences.All.Get(silenceId) is { } silence
            ? TypedResults.Json(SilenceView.Of(silence, time.GetUtcNow()), DoctorJson.Options)
            : Problems.NotFound($"silence {silenceId}");

    private static async Task<IResult> Delete(string silenceId, DoctorEngine engine) =>
        await engine.ExecuteAsync(editor => editor.Silences.Remove(silenceId)) ? TypedResults.NoContent() : Problems.NotFound($"silence {silenceId}");
}
