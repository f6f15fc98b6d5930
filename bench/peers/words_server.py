"""twisted.words as a plain-Twisted IRC baseline for the benchmark.

Rooms are created on first JOIN and any nick logs in with any password
(the load generator sends PASS), which is what a benchmark needs and what
twisted.words' own tap does not offer on Python 3.

    python bench/peers/words_server.py PORT
"""

import sys

from twisted.cred import credentials, portal
from twisted.cred.checkers import ICredentialsChecker
from twisted.internet import defer, endpoints, reactor
from twisted.words import service
from zope.interface import implementer


@implementer(ICredentialsChecker)
class AnyPassword:
    credentialInterfaces = (credentials.IUsernamePassword,)

    def requestAvatarId(self, creds):
        return defer.succeed(creds.username)


def main():
    port = int(sys.argv[1])
    realm = service.InMemoryWordsRealm("words.bench")
    realm.createGroupOnRequest = True
    realm.createUserOnRequest = True
    factory = service.IRCFactory(realm, portal.Portal(realm, [AnyPassword()]))
    endpoints.TCP4ServerEndpoint(reactor, port, interface="127.0.0.1").listen(factory)
    print(f"words listening on {port}", flush=True)
    reactor.run()


if __name__ == "__main__":
    main()
