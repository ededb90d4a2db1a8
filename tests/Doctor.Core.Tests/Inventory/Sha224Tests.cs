using System.Text;
using Doctor.Inventory;

namespace Doctor.Core.Tests.Inventory;

public class Sha224Tests
{
    // Expected digests from FIPS 180-4 examples and Python's hashlib.sha224.
    [Theory]
    [InlineData("", "d14a028c2a3a2bc9476102bb288234c415a2b01f828ea62ac5b3e42f")]
    [InlineData("abc", "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7")]
    [InlineData("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "75388b16512776cc5dba5da1fd890150b0c6455cb4f58b1952522525")]
    [InlineData(
        "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
        "c97ca9a559850ce97a04a96def6d99a9e0e0e2ab14e6b8df265fc0b3")]
    [InlineData("héllo", "2ed034dbfd665018cad24af1a17b76de85cbd9bf3040d702023ce9ec")]
    public void Hash_KnownVector_MatchesReferenceDigest(string message, string expected)
    {
        var digest = Sha224.Hash(Encoding.UTF8.GetBytes(message));

        Assert.Equal(expected, Convert.ToHexStringLower(digest));
    }

    [Theory]
    [InlineData(55, "fb0bd626a70c28541dfa781bb5cc4d7d7f56622a58f01a0b1ddd646f")] // padding fits in the last block
    [InlineData(56, "d40854fc9caf172067136f2e29e1380b14626bf6f0dd06779f820dcd")] // the length needs a second padding block
    [InlineData(63, "1d4e051f4d6fed2a63fd2421e65834cec00d64456553de3496ae8b1d")]
    [InlineData(64, "a88cd5cde6d6fe9136a4e58b49167461ea95d388ca2bdb7afdc3cbf4")] // exactly one block
    [InlineData(65, "ff8716f600af42959d0efb52e1f21b01bb328733009344d511c299fb")]
    [InlineData(119, "e000e6709d26667b631faa7fc1bd404eb4774003c5fb4f51a0184875")]
    [InlineData(120, "66924e30a9929327e7a6cf03747397226ed2efc180ebe3dea7132a79")]
    [InlineData(128, "39873a2441c56608137850f4c54dde157710b9a2b83c8bdc756dd643")]
    public void Hash_BlockBoundaryLengths_MatchesReferenceDigest(int length, string expected)
    {
        var digest = Sha224.Hash(Encoding.ASCII.GetBytes(new string('a', length)));

        Assert.Equal(expected, Convert.ToHexStringLower(digest));
    }

    [Fact]
    public void Hash_OneMillionA_MatchesReferenceDigest()
    {
        var digest = Sha224.Hash(Encoding.ASCII.GetBytes(new string('a', 1_000_000)));

        Assert.Equal("20794655980c91d8bbb4c1ea97618a4bf03f42581948b2ee4ee7ad67", Convert.ToHexStringLower(digest));
    }

    [Fact]
    public void Hash_AnyInput_Returns28Bytes()
    {
        Assert.Equal(28, Sha224.Hash([1, 2, 3]).Length);
    }
}
