using Doctor.Core.Tests.Support;
using Doctor.Silences;
using Doctor.State;

namespace Doctor.Core.Tests.Silences;

public class SilenceBookTests
{
    private static readonly DateTimeOffset T0 = TestMap.Start;

    private static readonly SilenceSubject HostDown = new("compute-1", null, "compute-1", "compute.host.down");
    private static readonly SilenceSubject ServerOnHost = new("compute-1", null, "vm-a1", "compute.host.down");
    private static readonly SilenceSubject SwitchDown = new("compute-2", "tor-1", "vm-a4", "network.switch.down");
    private static readonly SilenceSubject Bare = new(null, null, "vm-x1", "compute.instance.down");

    private static Silence Silence(string id, SilenceMatchers matchers, DateTimeOffset? starts = null, DateTimeOffset? ends = null) => new()
    {
        SilenceId = id, Matchers = matchers, StartsAt = starts ?? T0, EndsAt = ends ?? T0.AddHours(1), CreatedAt = T0, CreatedBy = "tok-1",
    };

    public static TheoryData<string, SilenceMatchers, SilenceSubject, bool> Matching => new()
    {
        { "hostname exact", new() { Hostname = "compute-1" }, HostDown, true },
        { "hostname exact, server on the host", new() { Hostname = "compute-1" }, ServerOnHost, true },
        { "hostname other", new() { Hostname = "compute-2" }, HostDown, false },
        { "hostname glob", new() { Hostname = "compute-*" }, SwitchDown, true },
        { "hostname glob one character", new() { Hostname = "compute-?" }, HostDown, true },
        { "hostname glob too short", new() { Hostname = "comp?" }, HostDown, false },
        { "hostname set, subject has none", new() { Hostname = "*" }, Bare, false },
        { "device_id exact", new() { DeviceId = "tor-1" }, SwitchDown, true },
        { "device_id other", new() { DeviceId = "tor-2" }, SwitchDown, false },
        { "device_id set, subject has none", new() { DeviceId = "*" }, HostDown, false },
        { "resource_id exact", new() { ResourceId = "vm-a1" }, ServerOnHost, true },
        { "resource_id glob", new() { ResourceId = "vm-a*" }, SwitchDown, true },
        { "resource_id other", new() { ResourceId = "vm-b1" }, ServerOnHost, false },
        { "fault_type glob", new() { FaultType = "compute.host.*" }, HostDown, true },
        { "fault_type glob other", new() { FaultType = "compute.host.*" }, SwitchDown, false },
        { "fault_type exact", new() { FaultType = "compute.instance.down" }, Bare, true },
        { "fault_type star matches all", new() { FaultType = "*" }, Bare, true },
        { "all set, all match", new() { Hostname = "compute-2", DeviceId = "tor-*", ResourceId = "vm-a4", FaultType = "network.*" }, SwitchDown, true },
        { "all set, one misses", new() { Hostname = "compute-2", DeviceId = "tor-*", ResourceId = "vm-a5", FaultType = "network.*" }, SwitchDown, false },
        { "matching is case-sensitive", new() { Hostname = "Compute-1" }, HostDown, false },
    };

    [Theory]
    [MemberData(nameof(Matching))]
    public void Find_Matchers_EverySetMatcherMustMatch(string name, SilenceMatchers matchers, SilenceSubject subject, bool found)
    {
        var book = SilenceBook.From([Silence("s-1", matchers)]);

        Assert.True(found == book.Find(T0, subject) is not null, name);
    }

    [Theory]
    [InlineData(-1, false)] // before starts_at
    [InlineData(0, true)] // starts_at is inclusive
    [InlineData(3599, true)]
    [InlineData(3600, false)] // ends_at is exclusive
    [InlineData(7200, false)]
    public void Find_TimeWindow_StartsInclusiveEndsExclusive(int secondsAfterStart, bool found)
    {
        var book = SilenceBook.From([Silence("s-1", new() { Hostname = "compute-1" }, T0, T0.AddHours(1))]);

        Assert.Equal(found, book.Find(T0.AddSeconds(secondsAfterStart), HostDown) is not null);
    }

    [Fact]
    public void Find_EdgeTicks_WindowIsExact()
    {
        var book = SilenceBook.From([Silence("s-1", new() { Hostname = "compute-1" }, T0, T0.AddHours(1))]);

        Assert.Null(book.Find(T0.AddTicks(-1), HostDown));
        Assert.NotNull(book.Find(T0.AddHours(1).AddTicks(-1), HostDown));
    }

    [Fact]
    public void Find_SeveralMatch_ReturnsTheFirstById()
    {
        var book = SilenceBook.From(
        [
            Silence("s-3", new() { Hostname = "compute-1" }),
            Silence("s-1", new() { FaultType = "compute.*" }),
            Silence("s-2", new() { ResourceId = "compute-1" }),
        ]);

        Assert.Equal("s-1", book.Find(T0, HostDown)?.SilenceId);
    }

    [Fact]
    public void Find_FirstByIdNotActive_SkipsToTheNextActive()
    {
        var book = SilenceBook.From(
        [
            Silence("s-1", new() { Hostname = "compute-1" }, T0.AddHours(2), T0.AddHours(3)), // pending at T0
            Silence("s-2", new() { Hostname = "compute-1" }, T0.AddHours(-2), T0), // expired at T0
            Silence("s-3", new() { Hostname = "compute-2" }), // active, does not match
            Silence("s-4", new() { Hostname = "compute-*" }),
        ]);

        Assert.Equal("s-4", book.Find(T0, HostDown)?.SilenceId);
        Assert.Equal("s-1", book.Find(T0.AddHours(2), HostDown)?.SilenceId);
        Assert.Equal("s-2", book.Find(T0.AddHours(-1), HostDown)?.SilenceId);
    }

    [Fact]
    public void Find_EmptyBook_ReturnsNull()
    {
        Assert.Null(SilenceBook.Empty.Find(T0, HostDown));
    }

    [Theory]
    [InlineData(-1, SilenceState.Pending)]
    [InlineData(0, SilenceState.Active)]
    [InlineData(3599, SilenceState.Active)]
    [InlineData(3600, SilenceState.Expired)]
    public void StateAt_AroundTheWindow_PendingActiveExpired(int secondsAfterStart, SilenceState expected)
    {
        var silence = Silence("s-1", new() { Hostname = "h" }, T0, T0.AddHours(1));

        Assert.Equal(expected, silence.StateAt(T0.AddSeconds(secondsAfterStart)));
    }

    [Theory]
    [InlineData("pending", SilenceState.Pending)]
    [InlineData("active", SilenceState.Active)]
    [InlineData("expired", SilenceState.Expired)]
    public void SilenceStates_WireNames_RoundTrip(string name, SilenceState state)
    {
        Assert.True(SilenceStates.TryParse(name, out var parsed));
        Assert.Equal(state, parsed);
        Assert.Equal(name, state.Name());
    }

    [Theory]
    [InlineData("Active")]
    [InlineData("all")]
    [InlineData("")]
    [InlineData(null)]
    public void SilenceStates_UnknownName_NotParsed(string? name)
    {
        Assert.False(SilenceStates.TryParse(name, out _));
    }

    [Fact]
    public void Editor_PutAndRemove_LogsRowChangesAndBuildsANewBook()
    {
        var state = TestMap.State();
        var editor = new StateEditor(state, T0);

        editor.Silences.Put(Silence("s-1", new() { Hostname = "compute-1" }));
        editor.Silences.Put(Silence("s-2", new() { Hostname = "compute-2" }));
        Assert.True(editor.Silences.Remove("s-2"));
        Assert.False(editor.Silences.Remove("s-2"));
        var next = editor.Build();

        Assert.Equal(["s-1"], next.Silences.All.After(null).Select(s => s.SilenceId));
        Assert.Equal("s-1", next.Silences.Find(T0, HostDown)?.SilenceId);
        Assert.Empty(state.Silences.All.After(null)); // the old version still answers for readers that hold it
        Assert.Equal(
            [(RowKind.Silence, "s-1", false), (RowKind.Silence, "s-2", false), (RowKind.Silence, "s-2", true)],
            editor.Changes.Select(c => (c.Kind, c.Id, c.Value is null)));
    }

    [Fact]
    public void Editor_NoSilenceEdits_KeepsTheSameBook()
    {
        var state = TestMap.State() with { Silences = SilenceBook.From([Silence("s-1", new() { Hostname = "compute-1" })]) };
        var editor = new StateEditor(state, T0);

        Assert.False(editor.Silences.Remove("s-9"));
        _ = editor.Silences.Get("s-1");

        Assert.Same(state.Silences, editor.Build().Silences);
        Assert.Empty(editor.Changes);
    }

    [Fact]
    public void RowKind_Silence_KeepsItsPersistedValue()
    {
        // Row kinds are stored as integers: a new kind must never renumber the ones before it.
        Assert.Equal(7, (int)RowKind.Silence);
        Assert.Equal(5, (int)RowKind.Token);
    }
}
