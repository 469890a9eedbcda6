package ec2test

import "encoding/xml"

type xState struct {
	Code int    `xml:"code"`
	Name string `xml:"name"`
}

type xTag struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

type xGroup struct {
	ID   string `xml:"groupId"`
	Name string `xml:"groupName"`
}

type xReason struct {
	Code    string `xml:"code"`
	Message string `xml:"message"`
}

type xInstance struct {
	ID           string   `xml:"instanceId"`
	Image        string   `xml:"imageId"`
	State        xState   `xml:"instanceState"`
	PrivateDNS   string   `xml:"privateDnsName"`
	DNSName      string   `xml:"dnsName"`
	KeyName      string   `xml:"keyName,omitempty"`
	Type         string   `xml:"instanceType"`
	LaunchTime   string   `xml:"launchTime"`
	Subnet       string   `xml:"subnetId,omitempty"`
	PrivateIP    string   `xml:"privateIpAddress,omitempty"`
	PublicIP     string   `xml:"ipAddress,omitempty"`
	ClientToken  string   `xml:"clientToken,omitempty"`
	Lifecycle    string   `xml:"instanceLifecycle,omitempty"`
	Groups       []xGroup `xml:"groupSet>item"`
	Tags         []xTag   `xml:"tagSet>item"`
	StateReason  *xReason `xml:"stateReason,omitempty"`
	RootDevice   string   `xml:"rootDeviceName,omitempty"`
	AmiLaunchIdx int      `xml:"amiLaunchIndex"`
}

type xReservation struct {
	ID        string      `xml:"reservationId"`
	Owner     string      `xml:"ownerId"`
	Instances []xInstance `xml:"instancesSet>item"`
}

// base carries the namespace and request id of every answer.
type base struct {
	Xmlns     string `xml:"xmlns,attr"`
	RequestID string `xml:"requestId"`
}

func (b *base) setID(id string) { b.Xmlns, b.RequestID = Namespace, id }

type identified interface{ setID(string) }

func setRequestID(out any, id string) {
	if v, ok := out.(identified); ok {
		v.setID(id)
	}
}

type runResponse struct {
	XMLName xml.Name `xml:"RunInstancesResponse"`
	base
	xReservation
}

type describeResponse struct {
	XMLName xml.Name `xml:"DescribeInstancesResponse"`
	base
	Reservations []xReservation `xml:"reservationSet>item"`
	NextToken    string         `xml:"nextToken,omitempty"`
}

type xStateChange struct {
	ID       string `xml:"instanceId"`
	Current  xState `xml:"currentState"`
	Previous xState `xml:"previousState"`
}

type terminateResponse struct {
	XMLName xml.Name `xml:"TerminateInstancesResponse"`
	base
	Instances []xStateChange `xml:"instancesSet>item"`
}

type xImage struct {
	ID         string `xml:"imageId"`
	State      string `xml:"imageState"`
	RootDevice string `xml:"rootDeviceName"`
	RootType   string `xml:"rootDeviceType"`
}

type imagesResponse struct {
	XMLName xml.Name `xml:"DescribeImagesResponse"`
	base
	Images []xImage `xml:"imagesSet>item"`
}

type xKeyPair struct {
	Name        string `xml:"keyName"`
	Fingerprint string `xml:"keyFingerprint"`
}

type keyPairsResponse struct {
	XMLName xml.Name `xml:"DescribeKeyPairsResponse"`
	base
	Keys []xKeyPair `xml:"keySet>item"`
}

type xSecurityGroup struct {
	ID          string `xml:"groupId"`
	Name        string `xml:"groupName"`
	Owner       string `xml:"ownerId"`
	Description string `xml:"groupDescription"`
}

type groupsResponse struct {
	XMLName xml.Name `xml:"DescribeSecurityGroupsResponse"`
	base
	Groups []xSecurityGroup `xml:"securityGroupInfo>item"`
}
