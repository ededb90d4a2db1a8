using System.Text;
using Doctor.Notification;

namespace Doctor.Core.Tests.Notification;

public class SignaturesTests
{
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("The quick brown fox jumps over the lazy dog");

    [Fact]
    public void Sign_KnownVector_IsSha256PrefixedHexHmac()
    {
        // python3 -c "import hmac,hashlib;print(hmac.new(b'key',b'The quick brown fox jumps over the lazy dog',hashlib.sha256).hexdigest())"
        Assert.Equal("sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8", Signatures.Sign("key", Body));
    }

    [Fact]
    public void Verify_OwnSignature_ReturnsTrue()
    {
        Assert.True(Signatures.Verify("key", Body, Signatures.Sign("key", Body)));
    }

    [Fact]
    public void Verify_TamperedBody_ReturnsFalse()
    {
        var signature = Signatures.Sign("key", Body);
        var tampered = (byte[])Body.Clone();
        tampered[0] ^= 1;

        Assert.False(Signatures.Verify("key", tampered, signature));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8")]
    [InlineData("sha256=F7BC83F430538424B13298E6AA6FB143EF4D59A14946175997479DBC2D1A3CD8")]
    [InlineData("sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd")]
    public void Verify_WrongOrMalformedHeader_ReturnsFalse(string? header)
    {
        Assert.False(Signatures.Verify("key", Body, header));
    }

    [Fact]
    public void Verify_WrongSecret_ReturnsFalse()
    {
        Assert.False(Signatures.Verify("other", Body, Signatures.Sign("key", Body)));
    }
}
