#ifndef VARSEL_CQRENCODE_SHIM_H
#define VARSEL_CQRENCODE_SHIM_H

/*
 * libqrencode (Debian: libqrencode-dev), for the EPC QR codes of payment reminders.
 * Swift calls QRcode_encodeData and QRcode_free directly; nothing here needs a shim.
 */

#include <qrencode.h>

#endif /* VARSEL_CQRENCODE_SHIM_H */
