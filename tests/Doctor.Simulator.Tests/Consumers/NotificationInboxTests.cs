using System.Security.Cryptography;
using System.Text;
using Doctor.Simulator.Consumers;

namespace Doctor.Simulator.Tests.Consumers;

public sealed class NotificationInboxTests
{
    private const string Secret = "0123456789abcdef";

    private static byte[] Body(string id) => Encoding.UTF8.GetBytes($$"""{"notification_id":"{{id}}","notification_type":"fault","resources":[]}""");

    // Computed independently of the inbox, as the contract states it (SPEC §5).
    private static string Sign(byte[] body) => "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), body));

    [Fact]
    public void Accept_SignedNew_Accepted()
    {
        var inbox = new NotificationInbox(Secret);
        var body = Body("n1");
        Assert.Equal(InboxVerdict.Accepted, inbox.Accept(body, Sign(body), out var id));
        Assert.Equal("n1", id);
    }

    [Fact]
    public void Accept_SameIdAgain_Duplicate()
    {
        var inbox = new NotificationInbox(Secret);
        var body = Body("n1");
        inbox.Accept(body, Sign(body), out _);
        Assert.Equal(InboxVerdict.Duplicate, inbox.Accept(body, Sign(body), out _));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("sha256=00")]
    [InlineData("md5=abc")]
    public void Accept_MissingOrWrongSignature_BadSignature(string? header)
    {
        var inbox = new NotificationInbox(Secret);
        Assert.Equal(InboxVerdict.BadSignature, inbox.Accept(Body("n1"), header, out _));
    }

    [Fact]
    public void Accept_BodyAlteredAfterSigning_BadSignature()
    {
        var inbox = new NotificationInbox(Secret);
        var signature = Sign(Body("n1"));
        Assert.Equal(InboxVerdict.BadSignature, inbox.Accept(Body("n2"), signature, out _));
    }

    [Fact]
    public void Accept_BadSignature_DoesNotMarkTheIdSeen()
    {
        var inbox = new NotificationInbox(Secret);
        var body = Body("n1");
        inbox.Accept(body, "sha256=00", out _);
        Assert.Equal(InboxVerdict.Accepted, inbox.Accept(body, Sign(body), out _));
    }

    [Fact]
    public void Accept_NoSecretConfigured_SkipsTheCheck()
    {
        var inbox = new NotificationInbox(null);
        Assert.Equal(InboxVerdict.Accepted, inbox.Accept(Body("n1"), null, out _));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    [InlineData("{\"notification_id\": 5}")]
    public void Accept_NotANotification_Malformed(string text)
    {
        var inbox = new NotificationInbox(null);
        Assert.Equal(InboxVerdict.Malformed, inbox.Accept(Encoding.UTF8.GetBytes(text), null, out _));
    }

    [Fact]
    public void Accept_BeyondMemory_ForgetsTheOldestOnly()
    {
        var inbox = new NotificationInbox(null, remember: 2);
        inbox.Accept(Body("a"), null, out _);
        inbox.Accept(Body("b"), null, out _);
        inbox.Accept(Body("c"), null, out _);
        Assert.Equal(InboxVerdict.Duplicate, inbox.Accept(Body("c"), null, out _));
        Assert.Equal(InboxVerdict.Accepted, inbox.Accept(Body("a"), null, out _)); // forgotten, so taken again
    }
}
