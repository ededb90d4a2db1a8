using System.Diagnostics;
using Doctor.Access;
using Doctor.Events;
using Doctor.Serialization;
using Doctor.Server.Access;
using Doctor.Server.Http;
using Doctor.Server.Throttling;
using Doctor.Storage;

namespace Doctor.Server.Events;

/// <summary>The southbound API: monitors post raw events; admins read what became of them.</summary>
public static class EventEndpoints
{
    /// <summary>Answer of an accepted post.</summary>
    public sealed record AcceptedEvents(int Accepted, IReadOnlyList<string> EventIds);

    /// <summary>A recorded event with its outcome.</summary>
    public sealed record EventView(
        string Id, string Time, string Type, IReadOnlyDictionary<string, object> Details, string Origin,
        string RecordedAt, string Status, IReadOnlyList<string> FaultIds, string? Reason)
    {
        public static EventView Of(StoredEvent s)
        {
            var details = s.Event.Details.ToDictionary(kv => kv.Key, kv => (object)kv.Value, StringComparer.Ordinal);
            if (!s.Event.RelatedTo.IsDefaultOrEmpty)
                details["related_to"] = s.Event.RelatedTo;
            return new EventView(s.Event.Id, Rfc3339.Format(s.Event.Time), s.Event.Type, details, s.Event.Origin.ToString().ToLowerInvariant(),
                Rfc3339.Format(s.RecordedAt), s.Status.ToString().ToLowerInvariant(), s.FaultIds, s.Reason);
        }
    }

    public static void MapEvents(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/events", Post).Allow(Role.Monitor, Role.Admin).RateLimitedAs(RateClass.Events);
        app.MapPut("/events", Post).Allow(Role.Monitor, Role.Admin).RateLimitedAs(RateClass.Events); // the original Doctor's inspector API
        app.MapGet("/v1/events", List).Allow(Role.Admin);
        app.MapGet("/v1/events/{id}", Get).Allow(Role.Admin);
    }

    /// <summary>Validates the whole body, then answers 202 only once every event is durable in the log.</summary>
    private static async Task<IResult> Post(HttpContext context, IDoctorStore store)
    {
        var received = Stopwatch.GetTimestamp();
        var body = await RequestBody.ReadAsync(context);
        IReadOnlyList<RawEvent> events;
        try
        {
            events = EventParser.Parse(body.First);
        }
        catch (EventValidationException ex)
        {
            return Problems.BadRequest(ex.Field, ex.Message);
        }

        AppendResult result;
        try
        {
            result = await store.AppendAsync(events, received, CancellationToken.None);
        }
        catch (StoreUnavailableException ex)
        {
            return Problems.Unavailable(ex.Message);
        }

        return TypedResults.Json(new AcceptedEvents(events.Count, result.EventIds), DoctorJson.Options, statusCode: StatusCodes.Status202Accepted);
    }

    private static async Task<IResult> List(HttpContext context, IDoctorStore store)
    {
        var page = Page.From(context.Request);
        var type = Query.Identifier(context.Request, "type");
        var since = Query.Time(context.Request, "since");
        var rows = await store.ListEventsAsync(new EventQuery(type, since, page.Marker, page.Limit + 1), context.RequestAborted);
        var items = rows.Take(page.Limit).Select(EventView.Of).ToList();
        return Page.Answer("events", (items, rows.Count > page.Limit ? items[^1].Id : null));
    }

    private static async Task<IResult> Get(string id, HttpContext context, IDoctorStore store) =>
        await store.GetEventAsync(id, context.RequestAborted) is { } stored
            ? TypedResults.Json(EventView.Of(stored), DoctorJson.Options)
            : Problems.NotFound($"event {id}");
}
