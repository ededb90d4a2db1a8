using System.Text;
using System.Text.RegularExpressions;

namespace Doctor.Server.Tests.Hostile;

/// <summary>A request of the fuzz loop, as sent.</summary>
public sealed record FuzzRequest(HttpMethod Method, string Path, string Query, string? Token, bool OpenStackHeader, string? ContentType, byte[]? Body)
{
    /// <summary>A printable form for failure reports (bodies shown as escaped text, cut at 600 bytes).</summary>
    public override string ToString()
    {
        var body = Body is null ? "(no body)" : Escape(Body.Length > 600 ? Body[..600] : Body) + (Body.Length > 600 ? $"… ({Body.Length} bytes)" : "");
        var auth = Token is null ? "no token" : (OpenStackHeader ? "X-Auth-Token " : "Bearer ") + (Token.Length > 40 ? Token[..40] + "…" : Token);
        return $"{Method} {Path}{Query} [{auth}] [{ContentType ?? "no content type"}] {body}";
    }

    private static string Escape(byte[] bytes)
    {
        var text = new StringBuilder();
        foreach (var b in bytes)
            text.Append(b is >= 0x20 and < 0x7F ? ((char)b).ToString() : $"\\x{b:X2}");
        return text.ToString();
    }
}

/// <summary>
/// Mutates valid requests: byte flips, truncation, special characters, type swaps, duplicate keys, huge numbers,
/// deep nesting in bodies; hostile segments in paths; hostile values in query strings; other credentials and content
/// types in headers. Deterministic in the <see cref="Random"/> it is given.
/// </summary>
public static partial class Mutator
{
    private static readonly byte[][] Specials =
    [
        "\""u8.ToArray(), "\\"u8.ToArray(), "{"u8.ToArray(), "}"u8.ToArray(), "["u8.ToArray(), "]"u8.ToArray(), ","u8.ToArray(), ":"u8.ToArray(),
        [0], [0x1F], [0x7F], [0xFF], [0xC3, 0x28], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF0, 0x9F, 0x98, 0x80], [0xEF, 0xBB, 0xBF],
        "\\u0000"u8.ToArray(), "\\ud800"u8.ToArray(), "\\udc00"u8.ToArray(), "\\"u8.ToArray(), "null"u8.ToArray(), "NaN"u8.ToArray(),
        "/*"u8.ToArray(), "\r\n"u8.ToArray(), "é"u8.ToArray(), "*"u8.ToArray(), "%"u8.ToArray(),
    ];

    private static readonly string[] Values =
    [
        "0", "-1", "1e309", "-0", "true", "false", "null", "[]", "{}", "\"\"", "[[]]", "12345678901234567890123", "9223372036854775808",
        "1.5", "\"a\\u0000b\"", "\"\\ud800\"", "\"" + new string('A', 300) + "\"", "\"" + new string('B', 5000) + "\"", "\"compute-zulu-1\"",
        "\"vm-b1\"", "\"proj-beta\"", "\"admin\"", "\"*\"", "\"2026-02-30T00:00:00Z\"", "\"0001-01-01T00:00:00+01:00\"", "{\"a\":{\"b\":[1,{}]}}",
        "[\"x\",null,1]", "\"http://169.254.169.254/\"", "\"http://[::1]:1/\"", "\"ftp://x\"",
    ];

    private static readonly string[] Segments =
    [
        "%01", "%0A", "%7F", "%FF", "%C3%28", "%2F", "%25", "..", "%2E%2E", "%20", "é", "%F0%9F%98%80", new string('x', 300),
        "compute-zulu-1", "vm-b1", "port-b1", "vm-x1", "*", "%22", "'", "%5C", "%3Cscript%3E",
    ];

    private static readonly string[] QueryValues =
    [
        "-1", "0", "1001", "99999999999999999999", "abc", "1.5", "%00", "%FF", "%2B5", "", "true", "TRUE", "all", "active", "sideways",
        "compute-zulu-1", "proj-beta", "2026-01-01T00:00:00Z", "9999-12-31T23:59:59-01:00", new string('q', 300), "*", "%0A", "critical", "server", "host",
    ];

    private static readonly string[] QueryNames =
        ["limit", "marker", "state", "host", "project_id", "zone", "maintenance", "type", "since", "until", "resource_type", "resource_id", "fault_type", "min_severity", "server_id", "replace"];

    private static readonly string?[] ContentTypes =
    [
        "application/json", "application/json; charset=utf-8", "application/json; charset=utf-16", "application/problem+json", "text/plain",
        null, "application/x-www-form-urlencoded", "application/merge-patch+json", "multipart/form-data; boundary=x", "application/JSON",
    ];

    [GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"")]
    private static partial Regex StringLiteral();

    [GeneratedRegex("\"([a-z_]+)\"\\s*:")]
    private static partial Regex Key();

    [GeneratedRegex("[0-9]+")]
    private static partial Regex Digits();

    /// <summary>One to three mutations of <paramref name="seed"/>; <paramref name="tokens"/> are the credentials to swap in.</summary>
    public static FuzzRequest Mutate(Random r, FuzzRequest seed, IReadOnlyList<string?> tokens, IReadOnlyList<FuzzRequest> seeds)
    {
        var request = seed;
        var count = 1 + r.Next(3);
        for (var i = 0; i < count; i++)
        {
            request = r.Next(10) switch
            {
                < 5 when request.Body is not null => request with { Body = MutateBody(r, request.Body, seeds) },
                5 or 6 => request with { Path = MutatePath(r, request.Path) },
                7 => request with { Query = MutateQuery(r, request.Query) },
                8 => request with { Token = tokens[r.Next(tokens.Count)], OpenStackHeader = r.Next(4) == 0 },
                _ => request with { ContentType = ContentTypes[r.Next(ContentTypes.Length)] },
            };
        }

        return request;
    }

    public static byte[] MutateBody(Random r, byte[] body, IReadOnlyList<FuzzRequest> seeds)
    {
        if (body.Length == 0)
            return [.. Specials[r.Next(Specials.Length)]];
        var at = r.Next(body.Length + 1);
        switch (r.Next(12))
        {
            case 0: // random byte
            {
                var copy = (byte[])body.Clone();
                copy[Math.Min(at, copy.Length - 1)] = (byte)r.Next(256);
                return copy;
            }

            case 1: // bit flip
            {
                var copy = (byte[])body.Clone();
                copy[Math.Min(at, copy.Length - 1)] ^= (byte)(1 << r.Next(8));
                return copy;
            }

            case 2: // truncation
                return body[..at];
            case 3: // special characters
                return [.. body[..at], .. Specials[r.Next(Specials.Length)], .. body[at..]];
            case 4: // delete a range
                return [.. body[..at], .. body[Math.Min(body.Length, at + 1 + r.Next(16))..]];
            case 5: // duplicate a range
            {
                var end = Math.Min(body.Length, at + 1 + r.Next(32));
                return [.. body[..end], .. body[at..end], .. body[end..]];
            }

            case 6: // type swap: a string literal becomes another JSON value
                return Replace(r, body, StringLiteral(), _ => Values[r.Next(Values.Length)]);
            case 7: // duplicate key: the same key again with a hostile value, before or after the original
                return Replace(r, body, Key(), m => r.Next(2) == 0
                    ? $"\"{m.Groups[1].Value}\":{Values[r.Next(Values.Length)]},{m.Value}"
                    : $"{m.Value}{Values[r.Next(Values.Length)]},\"{m.Groups[1].Value}\":");
            case 8: // huge or odd numbers
                return Replace(r, body, Digits(), _ => r.Next(3) switch { 0 => new string('9', 400), 1 => "1e309", _ => "-0.0e-999" });
            case 9: // deep nesting around the document
            {
                var depth = 20 + r.Next(30);
                return r.Next(2) == 0
                    ? [.. Encoding.ASCII.GetBytes(new string('[', depth)), .. body, .. Encoding.ASCII.GetBytes(new string(']', depth))]
                    : [.. Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("{\"a\":", depth))), .. body, .. Encoding.ASCII.GetBytes(new string('}', depth))];
            }

            case 10: // a string's content becomes hostile text
                return Replace(r, body, StringLiteral(), _ => Values[r.Next(Values.Length)] is ['"', ..] v ? v : "\"\\u001f\"");
            default: // splice part of another seed's body
            {
                var other = seeds[r.Next(seeds.Count)].Body ?? [];
                if (other.Length == 0)
                    return body;
                var from = r.Next(other.Length);
                return [.. body[..at], .. other[from..Math.Min(other.Length, from + 1 + r.Next(64))], .. body[at..]];
            }
        }
    }

    public static string MutatePath(Random r, string path)
    {
        var segments = path.Split('/');
        switch (r.Next(5))
        {
            case 0: // hostile segment in place of an id or a name
                segments[1 + r.Next(segments.Length - 1)] = Segments[r.Next(Segments.Length)];
                return string.Join('/', segments);
            case 1: // an extra segment
                return path + "/" + Segments[r.Next(Segments.Length)];
            case 2: // one segment fewer
                return segments.Length > 2 ? string.Join('/', segments[..^1]) : path;
            case 3: // case
                return r.Next(2) == 0 ? path.ToUpperInvariant() : path + "/";
            default: // empty segment
                return path.Replace("/v1/", "/v1//", StringComparison.Ordinal);
        }
    }

    public static string MutateQuery(Random r, string query)
    {
        var name = QueryNames[r.Next(QueryNames.Length)];
        var value = QueryValues[r.Next(QueryValues.Length)];
        var pair = $"{name}={value}";
        return r.Next(3) switch
        {
            0 => query.Length == 0 ? "?" + pair : query + "&" + pair, // added or duplicated
            1 => "?" + pair, // replaced
            _ => query.Length == 0 ? "?" + pair + "&" + pair : query + "&" + query.TrimStart('?'), // every parameter twice
        };
    }

    private static byte[] Replace(Random r, byte[] body, Regex pattern, Func<Match, string> with)
    {
        // Latin-1 maps each byte to one char, so match positions are byte positions even in a body that is no longer UTF-8.
        var text = Encoding.Latin1.GetString(body);
        var matches = pattern.Matches(text);
        if (matches.Count == 0)
            return body;
        var match = matches[r.Next(matches.Count)];
        return [.. body[..match.Index], .. Encoding.UTF8.GetBytes(with(match)), .. body[(match.Index + match.Length)..]];
    }
}
