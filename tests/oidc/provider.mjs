// The employer's directory of the end-to-end tests: panva's oidc-provider (OpenID Certified),
// outside the platform like the payment provider. One confidential client (the platform), two
// people: `jdupont` (employee number E-1042, an account at the platform) and `nobody` (E-9999,
// no account there). Its own development login pages (any password) are driven by the test.
//
//   PORT=... CLIENT_ID=... CLIENT_SECRET=... REDIRECT_URI=... node provider.mjs
//
// `GET /__test/next?tamper=other-issuer|other-key|wrong-nonce` makes the next token answer
// carry an ID token re-signed with one thing wrong (an `iss` of another issuer, signed with the
// provider's key; the same claims signed by another key under the same key id; another nonce):
// what an attacker in the middle or a mix-up would hand the platform.
import { generateKeyPair, exportJWK, SignJWT, decodeJwt, decodeProtectedHeader } from "jose";
import Provider from "oidc-provider";

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const clientId = process.env.CLIENT_ID;
const clientSecret = process.env.CLIENT_SECRET;
const redirectUri = process.env.REDIRECT_URI;

const PEOPLE = {
  jdupont: { employee_number: "E-1042" },
  nobody: { employee_number: "E-9999" },
};

async function signingKey(kid) {
  const { privateKey } = await generateKeyPair("RS256", { extractable: true });
  return { privateKey, jwk: { ...(await exportJWK(privateKey)), kid, alg: "RS256", use: "sig" } };
}

const real = await signingKey("directory-key-1");
const other = await signingKey("directory-key-1");

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: [redirectUri],
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
    },
  ],
  jwks: { keys: [real.jwk] },
  scopes: ["openid", "employee"],
  claims: { openid: ["sub"], employee: ["employee_number"] },
  // The claims of the asked scopes in the ID token itself (the platform reads no userinfo).
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  cookies: { keys: ["test-only-cookie-key-of-the-directory"] },
  features: { devInteractions: { enabled: true } },
  async findAccount(ctx, id) {
    const person = PEOPLE[id];
    if (!person) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, ...person }) };
  },
});

let tamper = null;

provider.use(async (ctx, next) => {
  if (ctx.path === "/__test/next") {
    tamper = ctx.query.tamper || null;
    ctx.body = { tamper };
    return;
  }
  await next();
  if (ctx.path === "/token" && tamper && ctx.status === 200 && ctx.body?.id_token) {
    const claims = decodeJwt(ctx.body.id_token);
    const { kid, alg } = decodeProtectedHeader(ctx.body.id_token);
    let key = real.privateKey;
    if (tamper === "other-issuer") claims.iss = `${issuer}/another-directory`;
    if (tamper === "wrong-nonce") claims.nonce = "not-the-nonce-of-this-sign-in";
    if (tamper === "other-key") key = other.privateKey;
    ctx.body = {
      ...ctx.body,
      id_token: await new SignJWT(claims).setProtectedHeader({ alg, kid, typ: "JWT" }).sign(key),
    };
    tamper = null;
  }
});

provider.listen(port, "127.0.0.1", () => {
  console.log(`directory ready at ${issuer}`);
});
