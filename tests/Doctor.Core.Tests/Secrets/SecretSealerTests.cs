using System.Security.Cryptography;
using Doctor.Secrets;

namespace Doctor.Core.Tests.Secrets;

public sealed class SecretSealerTests
{
    private const string Clear = "consumer-hmac-secret-0123456789";
    private readonly SecretSealer _sealer = new(RandomNumberGenerator.GetBytes(SecretKeys.KeyBytes));

    [Fact]
    public void Seal_ThenOpen_ReturnsTheClearSecret()
    {
        var stored = _sealer.Seal(Clear, "sub-1");

        Assert.Equal(Clear, _sealer.Open(stored, "sub-1"));
    }

    [Fact]
    public void Seal_StoredForm_IsVersionedAndDoesNotHoldTheSecret()
    {
        var stored = _sealer.Seal(Clear, "sub-1");

        var parts = stored.Split(':');
        Assert.Equal(3, parts.Length);
        Assert.Equal("v1", parts[0]);
        Assert.Equal(12, Convert.FromBase64String(parts[1]).Length);
        Assert.Equal(Clear.Length + 16, Convert.FromBase64String(parts[2]).Length);
        Assert.DoesNotContain(Clear, stored);
        Assert.DoesNotContain("0123456789", stored);
    }

    [Fact]
    public void Seal_SameSecretTwice_UsesFreshNonces()
    {
        Assert.NotEqual(_sealer.Seal(Clear, "sub-1"), _sealer.Seal(Clear, "sub-1"));
    }

    [Fact]
    public void Seal_UnicodeSecret_RoundTrips()
    {
        const string unicode = "sécret-ключ-秘密-🔑-0123456789";

        Assert.Equal(unicode, _sealer.Open(_sealer.Seal(unicode, "sub-1"), "sub-1"));
    }

    [Fact]
    public void Open_AnotherKey_RefusesToOpen()
    {
        var stored = _sealer.Seal(Clear, "sub-1");
        var other = new SecretSealer(RandomNumberGenerator.GetBytes(SecretKeys.KeyBytes));

        Assert.Throws<SecretUnsealException>(() => other.Open(stored, "sub-1"));
    }

    [Fact]
    public void Open_AnotherContext_RefusesToOpen()
    {
        // A sealed secret copied onto another subscription's row does not open there.
        var stored = _sealer.Seal(Clear, "sub-1");

        Assert.Throws<SecretUnsealException>(() => _sealer.Open(stored, "sub-2"));
    }

    [Fact]
    public void Open_ModifiedCiphertext_RefusesToOpen()
    {
        var parts = _sealer.Seal(Clear, "sub-1").Split(':');
        var bytes = Convert.FromBase64String(parts[2]);
        bytes[0] ^= 0x01;

        Assert.Throws<SecretUnsealException>(() => _sealer.Open($"v1:{parts[1]}:{Convert.ToBase64String(bytes)}", "sub-1"));
    }

    [Theory]
    [InlineData("consumer-hmac-secret-0123456789")]
    [InlineData("v2:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA==")]
    [InlineData("v1:not base64!:AAAA")]
    [InlineData("v1:AAAA:AAAAAAAAAAAAAAAAAAAAAA==")]
    [InlineData("v1:AAAAAAAAAAAAAAAA:AAAA")]
    [InlineData("v1::")]
    [InlineData("")]
    public void Open_NotASealedForm_RefusesToOpen(string stored)
    {
        Assert.Throws<SecretUnsealException>(() => _sealer.Open(stored, "sub-1"));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(16)]
    [InlineData(31)]
    [InlineData(64)]
    public void Constructor_KeyNot256Bits_Throws(int bytes)
    {
        Assert.Throws<ArgumentException>(() => new SecretSealer(new byte[bytes]));
    }
}
