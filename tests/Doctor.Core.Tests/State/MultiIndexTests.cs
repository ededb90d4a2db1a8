using Doctor.State;

namespace Doctor.Core.Tests.State;

public class MultiIndexTests
{
    private static MultiIndex Sample() => MultiIndex.From([("h1", "s2"), ("h1", "s1"), ("h2", "s3")]);

    [Fact]
    public void From_Pairs_GroupsMembersInOrdinalOrder()
    {
        var index = Sample();

        Assert.Equal(["s1", "s2"], index.Get("h1"));
        Assert.Equal(["s3"], index.Get("h2"));
        Assert.Equal(2, index.KeyCount);
    }

    [Fact]
    public void Get_UnknownOrNullKey_IsEmpty()
    {
        var index = Sample();

        Assert.Empty(index.Get("h9"));
        Assert.Empty(index.Get(null));
    }

    [Fact]
    public void Editor_AddAndRemove_LeaveTheBaseVersionUnchanged()
    {
        var index = Sample();
        var editor = index.Edit();

        editor.Add("h2", "s4");
        editor.Remove("h1", "s1");
        var next = editor.Build();

        Assert.Equal(["s1", "s2"], index.Get("h1"));
        Assert.Equal(["s3"], index.Get("h2"));
        Assert.Equal(["s2"], next.Get("h1"));
        Assert.Equal(["s3", "s4"], next.Get("h2"));
    }

    [Fact]
    public void Editor_RemoveLastMember_DropsTheKey()
    {
        var editor = Sample().Edit();

        editor.Remove("h2", "s3");
        var next = editor.Build();

        Assert.Empty(next.Get("h2"));
        Assert.Equal(1, next.KeyCount);
    }

    [Fact]
    public void Editor_NullKeyOrAbsentMember_ChangesNothing()
    {
        var index = Sample();
        var editor = index.Edit();

        editor.Add(null, "s9");
        editor.Remove(null, "s1");
        editor.Remove("h1", "s9");
        editor.Remove("h9", "s1");

        Assert.Same(index, editor.Build());
    }

    [Fact]
    public void Editor_AddTwice_KeepsOneMember()
    {
        var editor = Sample().Edit();

        editor.Add("h1", "s1");

        Assert.Equal(["s1", "s2"], editor.Get("h1"));
    }

    [Fact]
    public void Editor_ReadsItsOwnWrites()
    {
        var editor = Sample().Edit();

        editor.Add("h3", "s5");

        Assert.Equal(["s5"], editor.Get("h3"));
        Assert.Empty(editor.Get(null));
    }
}
