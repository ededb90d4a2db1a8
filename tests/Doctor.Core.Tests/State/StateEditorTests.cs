using Doctor.Access;
using Doctor.Core.Tests.Support;
using Doctor.Faults;
using Doctor.Inspection;
using Doctor.Inventory;
using Doctor.State;
using Doctor.Subscriptions;

namespace Doctor.Core.Tests.State;

public class StateEditorTests
{
    private static Fault Fault(string id, string resource, DateTimeOffset? cleared = null) => new()
    {
        FaultId = id, FaultType = "compute.instance.down", Severity = Severity.Critical, ResourceType = ResourceType.Server, ResourceId = resource,
        EventId = "e-1", EventTime = TestMap.Start, RaisedAt = TestMap.Start, ClearedAt = cleared, ProbableCause = "instance failure",
        Effect = Effect.ServerError,
    };

    private static Token Token(string id, string secret) =>
        new() { TokenId = id, Hash = TokenSecrets.HashOf(secret), Role = Role.Monitor, CreatedAt = TestMap.Start };

    [Fact]
    public void Build_NoEdits_ReturnsTheSameParts()
    {
        var state = TestMap.State();

        var next = new StateEditor(state, TestMap.Start).Build();

        Assert.Same(state.Map, next.Map);
        Assert.Same(state.Faults, next.Faults);
        Assert.Same(state.Subscriptions, next.Subscriptions);
        Assert.Same(state.Tokens, next.Tokens);
    }

    [Fact]
    public void Build_ProcessedSeq_NeverGoesBack()
    {
        var state = TestMap.State() with { ProcessedSeq = 10 };

        Assert.Equal(10, new StateEditor(state, TestMap.Start) { ProcessedSeq = 0 }.Build().ProcessedSeq);
        Assert.Equal(11, new StateEditor(state, TestMap.Start) { ProcessedSeq = 11 }.Build().ProcessedSeq);
    }

    [Fact]
    public void Faults_PutCleared_LeavesTheActiveIndex()
    {
        var editor = new StateEditor(TestMap.State(), TestMap.Start);
        editor.Faults.Put(Fault("flt-1", "vm-a1"));
        editor.Faults.Put(Fault("flt-2", "vm-a1"));

        editor.Faults.Put(Fault("flt-1", "vm-a1", cleared: TestMap.Start.AddMinutes(1)));

        Assert.Equal(["flt-2"], editor.Faults.ActiveOn(ResourceType.Server, "vm-a1").Select(f => f.FaultId));
        var book = editor.Build().Faults;
        Assert.Equal(["flt-2"], book.ActiveByResource.Get("server:vm-a1"));
        Assert.Equal(2, book.All.Count);
        Assert.NotNull(book.All.Get("flt-1")!.ClearedAt);
    }

    [Fact]
    public void FaultBookFrom_MixedFaults_IndexesOnlyActiveOnes()
    {
        var book = FaultBook.From([Fault("flt-1", "vm-a1", cleared: TestMap.Start), Fault("flt-2", "vm-a2")]);

        Assert.Empty(book.ActiveByResource.Get("server:vm-a1"));
        Assert.Equal(["flt-2"], book.ActiveByResource.Get("server:vm-a2"));
    }

    [Fact]
    public void Subscriptions_PutWithAnotherProject_MovesItBetweenProjects()
    {
        var editor = new StateEditor(TestMap.State(), TestMap.Start);
        editor.Subscriptions.Put(TestMap.Subscription("sub-1", TestMap.ProjectA));

        editor.Subscriptions.Put(TestMap.Subscription("sub-1", null));
        var book = editor.Build().Subscriptions;

        Assert.Empty(book.ByProject.Get(TestMap.ProjectA));
        Assert.Equal(["sub-1"], book.ByProject.Get(SubscriptionBook.GlobalKey));
        Assert.Equal(1, book.All.Count);
    }

    [Fact]
    public void Subscriptions_Remove_GoneFromEveryIndexAndLogged()
    {
        var editor = new StateEditor(TestMap.State([TestMap.Subscription("sub-1", TestMap.ProjectA)]), TestMap.Start);

        Assert.True(editor.Subscriptions.Remove("sub-1"));
        Assert.False(editor.Subscriptions.Remove("sub-1"));
        var book = editor.Build().Subscriptions;

        Assert.Null(book.All.Get("sub-1"));
        Assert.Empty(book.ByProject.Get(TestMap.ProjectA));
        Assert.Equal([(RowKind.Subscription, "sub-1", true)], editor.Changes.Select(c => (c.Kind, c.Id, c.Value is null)));
    }

    [Fact]
    public void Tokens_Remove_SecretNoLongerFound()
    {
        var state = TestMap.State() with { Tokens = TokenBook.From([Token("tok-1", "secret-1")]) };
        var editor = new StateEditor(state, TestMap.Start);

        Assert.True(editor.Tokens.Remove("tok-1"));
        var tokens = editor.Build().Tokens;

        Assert.Null(tokens.Find("secret-1"));
        Assert.NotNull(state.Tokens.Find("secret-1")); // the old version still answers for readers that hold it
    }

    [Fact]
    public void Tokens_PutWithNewSecret_OldSecretStopsWorking()
    {
        var state = TestMap.State() with { Tokens = TokenBook.From([Token("tok-1", "old")]) };
        var editor = new StateEditor(state, TestMap.Start);

        editor.Tokens.Put(Token("tok-1", "new"));
        var tokens = editor.Build().Tokens;

        Assert.Null(tokens.Find("old"));
        Assert.Equal("tok-1", tokens.Find("new")?.TokenId);
        Assert.Equal(1, tokens.All.Count);
    }
}
