// Checks our hand-written gateway.proto against Fabric's own generated JavaScript classes
// (@hyperledger/fabric-protos, pinned in package-lock.json). Run by GatewayProtoInteropTests.
//   node gateway-interop.js encode        -> {"Message": base64, ...} built by Fabric's classes from SAMPLE
//   node gateway-interop.js decode FILE   -> FILE holds {"Message": base64} built by our C# classes;
//                                            prints {"Message": {field: value}} as Fabric's classes read them
// The sample values below are mirrored in GatewayProtoInteropTests.cs.
'use strict';
const fs = require('fs');
const { gateway, common, peer, orderer, google } = require('@hyperledger/fabric-protos');
const { Any } = require('google-protobuf/google/protobuf/any_pb');

const bytes = (...values) => Uint8Array.from(values);
const TX = 'f3a1c0de';
const CHANNEL = 'whitelist';

function signedProposal() {
  const p = new peer.SignedProposal();
  p.setProposalBytes(bytes(1, 2, 3));
  p.setSignature(bytes(4, 5));
  return p;
}

function envelope() {
  const e = new common.Envelope();
  e.setPayload(bytes(6, 7, 8));
  e.setSignature(bytes(9));
  return e;
}

function chaincodeEvent(n) {
  const e = new peer.ChaincodeEvent();
  e.setChaincodeId('whitelist');
  e.setTxId('tx-' + n);
  e.setEventName('AssetCreated');
  e.setPayload(bytes(n, n + 1));
  return e;
}

function errorDetail() {
  const d = new gateway.ErrorDetail();
  d.setAddress('127.0.0.1:7051');
  d.setMspId('Org1MSP');
  d.setMessage('chaincode response 500, asset exists');
  return d;
}

function sample() {
  const m = {};
  const endorse = new gateway.EndorseRequest();
  endorse.setTransactionId(TX);
  endorse.setChannelId(CHANNEL);
  endorse.setProposedTransaction(signedProposal());
  endorse.setEndorsingOrganizationsList(['Org1MSP', 'Org2MSP']);
  m.EndorseRequest = endorse;

  const endorseResponse = new gateway.EndorseResponse();
  endorseResponse.setPreparedTransaction(envelope());
  m.EndorseResponse = endorseResponse;

  const submit = new gateway.SubmitRequest();
  submit.setTransactionId(TX);
  submit.setChannelId(CHANNEL);
  submit.setPreparedTransaction(envelope());
  m.SubmitRequest = submit;

  m.SubmitResponse = new gateway.SubmitResponse();

  const signedStatus = new gateway.SignedCommitStatusRequest();
  signedStatus.setRequest(bytes(12, 13, 14));
  signedStatus.setSignature(bytes(15));
  m.SignedCommitStatusRequest = signedStatus;

  const status = new gateway.CommitStatusRequest();
  status.setTransactionId(TX);
  status.setChannelId(CHANNEL);
  status.setIdentity(bytes(10, 11));
  m.CommitStatusRequest = status;

  const statusResponse = new gateway.CommitStatusResponse();
  statusResponse.setResult(peer.TxValidationCode.MVCC_READ_CONFLICT);
  statusResponse.setBlockNumber(42);
  m.CommitStatusResponse = statusResponse;

  const evaluate = new gateway.EvaluateRequest();
  evaluate.setTransactionId(TX);
  evaluate.setChannelId(CHANNEL);
  evaluate.setProposedTransaction(signedProposal());
  evaluate.setTargetOrganizationsList(['Org2MSP']);
  m.EvaluateRequest = evaluate;

  const evaluateResponse = new gateway.EvaluateResponse();
  const response = new peer.Response();
  response.setStatus(200);
  response.setMessage('ok');
  response.setPayload(bytes(104, 105));
  evaluateResponse.setResult(response);
  m.EvaluateResponse = evaluateResponse;

  const signedEvents = new gateway.SignedChaincodeEventsRequest();
  signedEvents.setRequest(bytes(16, 17));
  signedEvents.setSignature(bytes(18, 19, 20));
  m.SignedChaincodeEventsRequest = signedEvents;

  const events = new gateway.ChaincodeEventsRequest();
  events.setChannelId(CHANNEL);
  events.setChaincodeId('whitelist');
  events.setIdentity(bytes(10, 11));
  const position = new orderer.SeekPosition();
  const specified = new orderer.SeekSpecified();
  specified.setNumber(7);
  position.setSpecified(specified);
  events.setStartPosition(position);
  events.setAfterTransactionId('tx-6');
  m.ChaincodeEventsRequest = events;

  const eventsResponse = new gateway.ChaincodeEventsResponse();
  eventsResponse.setEventsList([chaincodeEvent(1), chaincodeEvent(2)]);
  eventsResponse.setBlockNumber(9);
  m.ChaincodeEventsResponse = eventsResponse;

  m.ErrorDetail = errorDetail();

  const proposed = new gateway.ProposedTransaction();
  proposed.setTransactionId(TX);
  proposed.setProposal(signedProposal());
  proposed.setEndorsingOrganizationsList(['Org1MSP']);
  m.ProposedTransaction = proposed;

  const prepared = new gateway.PreparedTransaction();
  prepared.setTransactionId(TX);
  prepared.setEnvelope(envelope());
  m.PreparedTransaction = prepared;

  const rpcStatus = new google.rpc.Status();
  rpcStatus.setCode(10);
  rpcStatus.setMessage('failed to endorse transaction');
  const any = new Any();
  any.pack(errorDetail().serializeBinary(), 'gateway.ErrorDetail');
  rpcStatus.setDetailsList([any]);
  m.Status = rpcStatus;
  return m;
}

const classes = {
  EndorseRequest: gateway.EndorseRequest,
  EndorseResponse: gateway.EndorseResponse,
  SubmitRequest: gateway.SubmitRequest,
  SubmitResponse: gateway.SubmitResponse,
  SignedCommitStatusRequest: gateway.SignedCommitStatusRequest,
  CommitStatusRequest: gateway.CommitStatusRequest,
  CommitStatusResponse: gateway.CommitStatusResponse,
  EvaluateRequest: gateway.EvaluateRequest,
  EvaluateResponse: gateway.EvaluateResponse,
  SignedChaincodeEventsRequest: gateway.SignedChaincodeEventsRequest,
  ChaincodeEventsRequest: gateway.ChaincodeEventsRequest,
  ChaincodeEventsResponse: gateway.ChaincodeEventsResponse,
  ErrorDetail: gateway.ErrorDetail,
  ProposedTransaction: gateway.ProposedTransaction,
  PreparedTransaction: gateway.PreparedTransaction,
  Status: google.rpc.Status,
};

// toObject() with every bytes value as base64, and a packed ErrorDetail unpacked by Fabric's class.
function plain(value) {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = plain(v);
    return out;
  }
  return value;
}

function decoded(name, message) {
  const object = plain(message.toObject());
  if (name === 'Status') {
    object.detailsList = message.getDetailsList().map((any) => ({
      typeUrl: any.getTypeUrl(),
      errorDetail: plain(any.unpack(gateway.ErrorDetail.deserializeBinary, 'gateway.ErrorDetail').toObject()),
    }));
  }
  return object;
}

const mode = process.argv[2];
if (mode === 'encode') {
  const out = {};
  for (const [name, message] of Object.entries(sample())) {
    out[name] = Buffer.from(message.serializeBinary()).toString('base64');
  }
  process.stdout.write(JSON.stringify(out));
} else if (mode === 'decode') {
  const input = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
  const out = {};
  for (const [name, base64] of Object.entries(input)) {
    const type = classes[name];
    if (!type) throw new Error('no Fabric class for ' + name);
    out[name] = decoded(name, type.deserializeBinary(Uint8Array.from(Buffer.from(base64, 'base64'))));
  }
  process.stdout.write(JSON.stringify(out));
} else {
  process.stderr.write('usage: node gateway-interop.js encode | decode FILE\n');
  process.exit(2);
}
