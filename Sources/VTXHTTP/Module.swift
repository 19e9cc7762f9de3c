// Module VTXHTTP: see the other files here.
