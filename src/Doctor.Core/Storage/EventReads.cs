using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using Doctor.Events;

namespace Doctor.Storage;

/// <summary>
/// <c>GET /v1/events</c> over either store: the log's rows joined, in memory, with the outcomes the engine recorded.
/// The two may live in different databases (SQLite keeps them in two files), hence two connections.
/// </summary>
internal static class EventReads
{
    public static async Task<StoredEvent?> GetAsync(Func<CancellationToken, Task<DbConnection>> openLog, Func<CancellationToken, Task<DbConnection>> openState, string id, CancellationToken cancellationToken)
    {
        var list = await QueryAsync(openLog, openState, " WHERE id = @id", [("id", id)], 1, cancellationToken);
        return list.Count == 0 ? null : list[0];
    }

    public static Task<IReadOnlyList<StoredEvent>> ListAsync(Func<CancellationToken, Task<DbConnection>> openLog, Func<CancellationToken, Task<DbConnection>> openState, EventQuery query, CancellationToken cancellationToken)
    {
        var where = new List<string>();
        var parameters = new List<(string, object)>();
        if (query.Type is not null)
        {
            where.Add("type = @type");
            parameters.Add(("type", query.Type));
        }

        if (query.Since is { } since)
        {
            where.Add("time >= @since");
            parameters.Add(("since", since.UtcTicks));
        }

        if (query.Marker is not null)
        {
            where.Add("seq > coalesce((SELECT seq FROM events WHERE id = @marker), 9223372036854775807)");
            parameters.Add(("marker", query.Marker));
        }

        var sql = where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : string.Empty;
        return QueryAsync(openLog, openState, sql, parameters, query.Limit, cancellationToken);
    }

    private static async Task<IReadOnlyList<StoredEvent>> QueryAsync(
        Func<CancellationToken, Task<DbConnection>> openLog, Func<CancellationToken, Task<DbConnection>> openState,
        string where, List<(string Name, object Value)> parameters, int limit, CancellationToken cancellationToken)
    {
        var rows = new List<(long Seq, RawEvent Event, DateTimeOffset RecordedAt)>();
        await using (var log = await openLog(cancellationToken))
        {
            await using var command = log.CreateCommand();
            command.CommandText = "SELECT seq, body, recorded_at FROM events" + where + " ORDER BY seq LIMIT @limit";
            foreach (var (name, value) in parameters)
                command.AddParameter(name, value);
            command.AddParameter("limit", limit);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                rows.Add((reader.GetInt64(0), JsonSerializer.Deserialize(reader.GetString(1), StoreJson.Default.RawEvent)!, StoreLoader.Ticks(reader.GetInt64(2))));
        }

        var outcomes = new Dictionary<long, (EventStatus, string[], string?)>();
        long processed = 0;
        if (rows.Count > 0)
        {
            await using var state = await openState(cancellationToken);
            await using (var meta = state.CreateCommand())
            {
                meta.CommandText = "SELECT value FROM meta WHERE key = 'processed_seq'";
                if (await meta.ExecuteScalarAsync(cancellationToken) is string text)
                    processed = long.Parse(text, CultureInfo.InvariantCulture);
            }

            await using var command = state.CreateCommand();
            command.CommandText = "SELECT seq, status, fault_ids, reason FROM event_outcomes WHERE seq BETWEEN @first AND @last";
            command.AddParameter("first", rows[0].Seq);
            command.AddParameter("last", rows[^1].Seq);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                outcomes[reader.GetInt64(0)] = (
                    Enum.Parse<EventStatus>(reader.GetString(1), ignoreCase: true),
                    JsonSerializer.Deserialize(reader.GetString(2), StoreJson.Default.StringArray) ?? [],
                    reader.IsDBNull(3) ? null : reader.GetString(3));
            }
        }

        // Events that no policy rule matched get no outcome row (bulk ingest of unknown types would double the
        // writes); one the engine has passed without a row was therefore ignored for that reason.
        return [.. rows.Select(r => outcomes.TryGetValue(r.Seq, out var o)
            ? new StoredEvent(r.Seq, r.Event, r.RecordedAt, o.Item1, o.Item2, o.Item3)
            : r.Seq <= processed
                ? new StoredEvent(r.Seq, r.Event, r.RecordedAt, EventStatus.Ignored, [], EventOutcome.NoRuleReason)
                : new StoredEvent(r.Seq, r.Event, r.RecordedAt, EventStatus.Pending, [], null))];
    }
}
