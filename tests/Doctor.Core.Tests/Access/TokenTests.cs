using System.Security.Cryptography;
using System.Text;
using Doctor.Access;

namespace Doctor.Core.Tests.Access;

public class TokenTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Generate_Secret_IsPrefixedUrlSafeAnd256Bits()
    {
        var secret = TokenSecrets.Generate();

        Assert.Matches("^dr_[A-Za-z0-9_-]{43}$", secret);
    }

    [Fact]
    public void Generate_TwoSecrets_Differ()
    {
        Assert.NotEqual(TokenSecrets.Generate(), TokenSecrets.Generate());
    }

    [Fact]
    public void HashOf_Secret_IsLowerHexSha256()
    {
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("dr_abc"))), TokenSecrets.HashOf("dr_abc"));
    }

    [Fact]
    public void Find_ByClearSecret_ReturnsTheTokenAndNeverMatchesTheHash()
    {
        var token = new Token { TokenId = "tok-1", Hash = TokenSecrets.HashOf("dr_abc"), Role = Role.Admin, CreatedAt = Now };
        var book = TokenBook.From([token]);

        Assert.Same(token, book.Find("dr_abc"));
        Assert.Null(book.Find(token.Hash));
        Assert.Null(book.Find("dr_abd"));
    }

    [Theory]
    [InlineData(-1, true)]
    [InlineData(0, true)]
    [InlineData(1, false)]
    public void IsExpired_RelativeToExpiry_ExpiresAtTheInstant(int secondsUntilExpiry, bool expired)
    {
        var token = new Token { TokenId = "t", Hash = "h", Role = Role.Monitor, CreatedAt = Now, ExpiresAt = Now.AddSeconds(secondsUntilExpiry) };

        Assert.Equal(expired, token.IsExpired(Now));
    }

    [Fact]
    public void IsExpired_NoExpiry_NeverExpires()
    {
        var token = new Token { TokenId = "t", Hash = "h", Role = Role.Monitor, CreatedAt = Now };

        Assert.False(token.IsExpired(DateTimeOffset.MaxValue));
    }

    [Theory]
    [InlineData("admin", Role.Admin)]
    [InlineData("monitor", Role.Monitor)]
    [InlineData("project", Role.Project)]
    public void Roles_WireNames_RoundTrip(string name, Role role)
    {
        Assert.True(Roles.TryParse(name, out var parsed));
        Assert.Equal(role, parsed);
        Assert.Equal(name, role.Name());
    }

    [Theory]
    [InlineData("Admin")]
    [InlineData("root")]
    [InlineData("")]
    [InlineData(null)]
    public void Roles_UnknownName_NotParsed(string? name)
    {
        Assert.False(Roles.TryParse(name, out _));
    }
}
